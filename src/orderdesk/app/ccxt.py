"""Real exchanges through ccxt: a connector keyed from the environment (the ``ccxt`` extra)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from orderdesk.venues.loopback import ccxt_urls

if TYPE_CHECKING:  # the ccxt extra is optional: imported only when a ccxt venue is built
    from orderdesk.venues.ccxt import CcxtConnector

__all__ = ["binance_at", "ccxt_connector", "ccxt_env_names"]


def ccxt_env_names(exchange_id: str) -> tuple[str, str, str]:
    """Return the environment variables holding ``exchange_id``'s API key, secret and
    passphrase: ``ORDERDESK_BINANCE_API_KEY``, ``ORDERDESK_BINANCE_SECRET``,
    ``ORDERDESK_BINANCE_PASSWORD`` for ``binance``."""
    prefix = f"ORDERDESK_{exchange_id.upper()}_"
    return f"{prefix}API_KEY", f"{prefix}SECRET", f"{prefix}PASSWORD"


def ccxt_connector(
    exchange_id: str,
    *,
    sandbox: bool = True,
    environ: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    api_urls: Mapping[str, str] | None = None,
    poll: timedelta = timedelta(seconds=1),
    watch: bool | None = None,
) -> CcxtConnector:
    """Return a :class:`~orderdesk.venues.ccxt.CcxtConnector` keyed from the environment.

    Keys come from :func:`ccxt_env_names` in ``environ`` (default ``os.environ``); a missing
    key or secret is a ``ValueError`` naming the variable. ``sandbox`` (the default) trades
    on the exchange's testnet; pass ``sandbox=False`` for real money. Needs the ``ccxt``
    extra; ``config``, ``api_urls``, ``poll`` and ``watch`` go to the connector.
    """
    from orderdesk.venues.ccxt import CcxtConnector, Credentials  # noqa: PLC0415 - optional

    found = os.environ if environ is None else environ
    key_name, secret_name, password_name = ccxt_env_names(exchange_id)
    missing = [name for name in (key_name, secret_name) if not found.get(name)]
    if missing:
        raise ValueError(f"set {' and '.join(missing)} in the environment")
    password = found.get(password_name)
    credentials = Credentials(
        SecretStr(found[key_name]),
        SecretStr(found[secret_name]),
        SecretStr(password) if password else None,
    )
    return CcxtConnector(
        exchange_id,
        credentials,
        sandbox=sandbox,
        config=config,
        api_urls=api_urls,
        poll=poll,
        watch=watch,
    )


def binance_at(url: str) -> dict[str, Any]:
    """Return the :func:`ccxt_connector` options that send ccxt's ``binance`` client to the
    Binance-spot-compatible endpoint at ``url`` (such as ``orderdesk venue serve``): its
    URLs, and spot markets only."""
    spot_only = {
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
    }
    return {"api_urls": ccxt_urls(url), "config": {"options": spot_only}}
