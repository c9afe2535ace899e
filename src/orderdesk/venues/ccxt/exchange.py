"""The ccxt exchange the connector drives: keys kept secret, logs redacted, wire errors kept.

:func:`open_exchange` builds a ccxt ``async_support`` exchange (the ``ccxt.pro`` class when
ccxt has one, for ``watch_orders``) with orderdesk's settings: ccxt's rate limiter on,
``maxRetriesOnFailure`` 0 (the broker's retry table decides), numbers as text (exact
decimals), ``verbose`` off, and a logger that strips the credentials from every record
(ccxt logs each request's headers, the API key among them, at DEBUG). The exchange class is
subclassed to keep what ccxt's exceptions lose: the HTTP status and ``Retry-After`` of a 429
or 418, and whether a failed connection was ever established
(:mod:`orderdesk.venues.ccxt.errors`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import ccxt
import ccxt.async_support
import ccxt.pro
from pydantic import SecretStr

from orderdesk.venues.ccxt.errors import (
    DEFAULT_RETRY_AFTER,
    ConnectFailed,
    IpBanned,
    TooManyRequests,
    redact,
)

__all__ = ["Credentials", "RedactingLogger", "exchange_class", "open_exchange"]

CCXT_LOGGER = "ccxt.base.exchange"
"""The logger ccxt's exchanges use; the connector's records go out under this name."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """An account's API credentials; ``repr`` and ``str`` never show them."""

    api_key: SecretStr
    secret: SecretStr
    password: SecretStr | None = None
    """Some venues' passphrase (OKX, KuCoin)."""

    def values(self) -> tuple[str, ...]:
        """Return the plain values, for redaction."""
        found = [self.api_key, self.secret, self.password]
        return tuple(s.get_secret_value() for s in found if s is not None)

    def ccxt_config(self) -> dict[str, str]:
        """Return the keys as ccxt's ``apiKey``, ``secret`` and ``password``."""
        config = {
            "apiKey": self.api_key.get_secret_value(),
            "secret": self.secret.get_secret_value(),
        }
        if self.password is not None:
            config["password"] = self.password.get_secret_value()
        return config


class RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger for ccxt that formats each record and strips the secrets from it.

    Tracebacks (``exc_info``) are dropped: an exception's text may carry a request.
    """

    def __init__(self, logger: logging.Logger, secrets: Sequence[str]) -> None:
        super().__init__(logger, {})
        self._secrets = tuple(secrets)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log ``msg % args`` with the secrets replaced by asterisks."""
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(map(str, (msg, *args)))
        self.logger.log(level, "%s", redact(text, self._secrets))

    def __repr__(self) -> str:
        return f"RedactingLogger({self.logger.name!r})"


def _retry_after(headers: Mapping[str, str] | None) -> float:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return DEFAULT_RETRY_AFTER
    return DEFAULT_RETRY_AFTER


@functools.cache  # ccxt builds each new class's API methods on its first instance: slow
def _instrumented(base: type) -> type:
    """Return ``base`` with the wire errors of :mod:`orderdesk.venues.ccxt.errors` added."""

    class Instrumented(base):  # type: ignore[misc]
        async def fetch(
            self,
            url: str,
            method: str = "GET",
            headers: Any = None,
            body: Any = None,
        ) -> Any:
            try:
                return await super().fetch(url, method, headers, body)
            except ccxt.ExchangeNotAvailable as error:
                if isinstance(error.__cause__, aiohttp.ClientConnectorError):
                    raise ConnectFailed(str(error)) from error.__cause__
                raise

        def handle_errors(  # noqa: PLR0917 - ccxt's signature
            self,
            code: int | None,
            reason: str,
            url: str,
            method: str,
            headers: Mapping[str, str] | None,
            body: str,
            response: Any,
            request_headers: Any,
            request_body: Any,
        ) -> Any:
            try:
                answer = super().handle_errors(
                    code, reason, url, method, headers, body, response, request_headers,
                    request_body,
                )  # fmt: skip
                if code is not None and code >= 400:
                    self.handle_http_status_code(code, reason, url, method, body)
            except ccxt.BaseError as error:
                if code == 429:
                    raise TooManyRequests(str(error), _retry_after(headers)) from error
                if code == 418:
                    raise IpBanned(str(error), _retry_after(headers)) from error
                raise
            return answer

        def log(self, *args: object) -> None:
            # ccxt's ``verbose`` printing: through the redacting logger, never stdout.
            self.logger.debug(" ".join(map(str, args)))

    Instrumented.__name__ = Instrumented.__qualname__ = base.__name__
    return Instrumented


def exchange_class(exchange_id: str) -> type:
    """Return ccxt's class for ``exchange_id``: the ``ccxt.pro`` one if it exists."""
    found = getattr(ccxt.pro, exchange_id, None)
    if found is None:
        found = getattr(ccxt.async_support, exchange_id, None)
    if found is None:
        raise ValueError(f"ccxt has no exchange {exchange_id!r}")
    return found  # type: ignore[no-any-return]


def open_exchange(
    exchange_id: str,
    credentials: Credentials | None,
    *,
    sandbox: bool = False,
    config: Mapping[str, Any] | None = None,
    api_urls: Mapping[str, str] | None = None,
    base: type | None = None,
) -> Any:
    """Return a ccxt async exchange for ``exchange_id`` set up as the module docstring says.

    ``config`` is merged into ccxt's constructor config (``rateLimit``, ``timeout``...);
    ``options`` in it are merged into orderdesk's. ``sandbox`` switches to the venue's testnet
    (ccxt's ``set_sandbox_mode``). ``api_urls`` replaces ccxt's ``urls['api']`` as a whole
    (a loopback venue: no endpoint is left pointing elsewhere). ``base`` replaces ccxt's
    class (a test's subclass).
    """
    secrets = credentials.values() if credentials is not None else ()
    extra = dict(config or {})
    options = {"maxRetriesOnFailure": 0, "warnOnFetchOpenOrdersWithoutSymbol": False}
    options |= dict(extra.pop("options", {}))
    options["maxRetriesOnFailure"] = 0  # the broker's retry table decides, never ccxt
    settings: dict[str, Any] = {
        **extra,
        "enableRateLimit": True,
        "verbose": False,
        "number": str,
        "options": options,
        "logger": RedactingLogger(logging.getLogger(CCXT_LOGGER), secrets),
    }
    if credentials is not None:
        settings |= credentials.ccxt_config()
    exchange = _instrumented(base or exchange_class(exchange_id))(settings)
    if sandbox:
        exchange.set_sandbox_mode(True)
    if api_urls is not None:
        exchange.urls["api"] = dict(api_urls)
    return exchange
