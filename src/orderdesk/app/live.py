"""Live desks: a ledger and an AsyncBroker trading at the venue the configuration names, the
paper venue of ``orderdesk venue serve`` or a real exchange through ccxt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from orderdesk.app.ccxt import binance_at, ccxt_connector, ccxt_env_names
from orderdesk.app.ledgers import open_ledger
from orderdesk.app.loopback import LOOPBACK_URL, loopback_connector
from orderdesk.broker import BrokerSettings
from orderdesk.clocks import SystemClock
from orderdesk.desk import AsyncBroker
from orderdesk.ledger import Ledger
from orderdesk.ports import Clock, Connector, MarketData

__all__ = ["LiveDesk", "live_broker", "live_connector", "live_desk"]


def live_connector(
    venue: str,
    *,
    url: str | None = None,
    api_key: SecretStr | None = None,
    api_secret: SecretStr | None = None,
    api_passphrase: SecretStr | None = None,
    sandbox: bool = True,
) -> Connector:
    """Return the connector ``venue`` names, signed with the given credentials.

    * ``loopback``: the paper venue of ``orderdesk venue serve`` at ``url`` (default
      :data:`~orderdesk.app.LOOPBACK_URL`);
    * ``ccxt:<exchange>`` (``ccxt:binance``): a real exchange through ccxt, on its testnet
      while ``sandbox`` is true (needs the ``ccxt`` extra); without ``api_key`` and
      ``api_secret`` the keys come from ``ORDERDESK_<EXCHANGE>_API_KEY`` and its siblings.
      ``url`` sends ``ccxt:binance`` to another Binance-spot-compatible endpoint instead
      (such as ``orderdesk venue serve``).

    A ``ValueError`` says what is missing or unknown; it never repeats a credential.
    """
    kind, _, exchange_id = venue.partition(":")
    if kind not in ("loopback", "ccxt") or (kind == "ccxt") != bool(exchange_id):
        raise ValueError(f"unknown venue {venue!r}: use loopback or ccxt:<exchange>")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"venue_url {url!r} is not an http:// or https:// URL, "
                             f"such as {LOOPBACK_URL}")  # fmt: skip
    if kind == "loopback":
        if api_key is None or api_secret is None:
            raise ValueError(
                f"venue {venue} needs credentials: set ORDERDESK_API_KEY and "
                "ORDERDESK_API_SECRET (or a secrets_file)"
            )
        return loopback_connector(url or LOOPBACK_URL, api_key, api_secret)
    environ: dict[str, str] | None = None  # without given keys: ORDERDESK_<EXCHANGE>_*
    if api_key is not None and api_secret is not None:
        key_name, secret_name, password_name = ccxt_env_names(exchange_id)
        environ = {key_name: api_key.get_secret_value(), secret_name: api_secret.get_secret_value()}
        if api_passphrase is not None:
            environ[password_name] = api_passphrase.get_secret_value()
    redirect: dict[str, Any] = {}
    if url is not None:
        if exchange_id != "binance":
            raise ValueError(f"a venue_url for ccxt works with ccxt:binance only, not {venue}")
        redirect = binance_at(url)
    try:
        return ccxt_connector(exchange_id, sandbox=sandbox, environ=environ, **redirect)
    except ImportError:
        raise ValueError("ccxt venues need the ccxt extra: pip install 'orderdesk[ccxt]'") from None


def live_broker(
    ledger: Ledger, connector: Connector, *, account: str, clock: Clock | None = None
) -> AsyncBroker:
    """Return an AsyncBroker on ``ledger`` trading through ``connector`` as ``account``; the
    connector's own quotes (if it has ``mid_price``) give orders their arrival price."""

    def connect(_: BrokerSettings) -> Connector:
        return connector

    market_data = connector if isinstance(connector, MarketData) else None
    broker = AsyncBroker(ledger, connect, clock=clock or SystemClock(), market_data=market_data)
    broker.settings(account=account)
    return broker


@dataclass(eq=False)
class LiveDesk:
    """A broker trading at a venue over the network, and what it stands on."""

    broker: AsyncBroker
    ledger: Ledger
    connector: Connector

    async def aclose(self) -> None:
        """Close the connector's sessions with the venue (the ledger stays open)."""
        close = getattr(self.connector, "close", None)
        if close is not None:
            await close()


def live_desk(
    venue: str,
    ledger: str | Callable[[], Ledger],
    *,
    account: str,
    url: str | None = None,
    api_key: SecretStr | None = None,
    api_secret: SecretStr | None = None,
    api_passphrase: SecretStr | None = None,
    sandbox: bool = True,
    clock: Clock | None = None,
) -> LiveDesk:
    """Return the desk of ``account`` at ``venue`` (see :func:`live_connector` for ``venue``,
    ``url``, the credentials and ``sandbox``), recording in ``ledger``.

    ``ledger`` is a store URL (opened, created if missing, as
    :func:`~orderdesk.app.open_ledger` does), or a function that opens one. The venue comes
    first: one that cannot be named or signed for is a ``ValueError`` before the ledger is
    opened, so nothing is created. Close the desk with :meth:`LiveDesk.aclose`.
    """
    connector = live_connector(
        venue, url=url, api_key=api_key, api_secret=api_secret,
        api_passphrase=api_passphrase, sandbox=sandbox,
    )  # fmt: skip
    opened = open_ledger(ledger, clock=clock) if isinstance(ledger, str) else ledger()
    return LiveDesk(live_broker(opened, connector, account=account, clock=clock), opened, connector)
