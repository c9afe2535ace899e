"""Levers on a loopback server, for running the Connector contract through a real client.

A connector that talks Binance (the ccxt connector) passes the contract against
``orderdesk venue serve`` with :class:`LoopbackHarness`: the server runs a quiet market (no
synthetic feed) that only these levers move, so every test sees exactly the prices it sets.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from orderdesk.model import Market
from orderdesk.ports import Connector
from orderdesk.venues.loopback import LoopbackAccount, LoopbackConfig, LoopbackServer, Secret
from orderdesk.venues.loopback.binance import ApiError
from orderdesk.venues.paper import Faults

__all__ = [
    "MARKET",
    "LoopbackHarness",
    "LoopbackLevers",
    "market_json",
    "quiet_config",
    "served_venue",
]

MARKET = Market(
    symbol="BTC_USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_quantity=Decimal("0.00001"),
    min_notional=Decimal("5"),
)
"""The market of the test venue: BTC_USDT on a 0.01 tick and a 0.00001 step."""


def market_json(market: Market = MARKET) -> dict[str, str]:
    """Return ``market`` as an entry of a venue config's ``"markets"`` list (the JSON shape
    :func:`~orderdesk.venues.loopback.load_config` reads), decimals as strings."""
    return {
        "symbol": market.symbol,
        "base_asset": market.base_asset,
        "quote_asset": market.quote_asset,
        "tick_size": format(market.tick_size, "f"),
        "step_size": format(market.step_size, "f"),
        "min_quantity": format(market.min_quantity, "f"),
        "min_notional": format(market.min_notional, "f"),
    }


def quiet_config(
    api_key: str, secret: str, admin_token: str, faults: Faults | None = None
) -> LoopbackConfig:
    """Return a one-market config (BTC_USDT) with no synthetic feed and one funded account,
    which has ``faults`` (none by default)."""
    return LoopbackConfig(
        markets=(MARKET,),
        accounts=(
            LoopbackAccount(
                name="contract",
                api_key=Secret(api_key),
                secret=Secret(secret),
                deposits={"BTC": Decimal("10"), "USDT": Decimal("1000000")},
                faults=faults or Faults(),
            ),
        ),
        mids={"BTC_USDT": Decimal("95000.00")},
        feed_interval_ms=0,
        admin_token=Secret(admin_token),
    )


@dataclass(frozen=True)
class LoopbackLevers:
    """Move the market of a loopback server through its admin endpoints."""

    base_url: str
    admin_token: Secret

    async def quote(self, symbol: str, bid: Decimal, ask: Decimal, quantity: Decimal) -> None:
        """Set the one-level depth of ``symbol``."""
        params = {"bid": str(bid), "ask": str(ask), "quantity": str(quantity)}
        await self._post("quote", symbol, params)

    async def trade(self, symbol: str, price: Decimal, quantity: Decimal) -> None:
        """Print a market trade of ``symbol``."""
        await self._post("trade", symbol, {"price": str(price), "quantity": str(quantity)})

    async def _post(self, lever: str, symbol: str, params: dict[str, str]) -> None:
        query = urlencode({"symbol": symbol.replace("_", ""), **params})
        request = urllib.request.Request(
            f"{self.base_url}/_paper/{lever}?{query}",
            method="POST",
            headers={"X-PAPER-ADMIN": self.admin_token.reveal()},
        )

        def send() -> None:
            with urllib.request.urlopen(request, timeout=10):
                pass

        await asyncio.to_thread(send)


_CANCEL = ("DELETE", "/api/v3/order")


@dataclass
class LoopbackHarness:
    """A :class:`~orderdesk.testing.connector_contract.VenueHarness` on a loopback server.

    With the in-process ``server`` it is also a
    :class:`~orderdesk.testing.connector_contract.RefusingVenueHarness`.
    """

    connector: Connector
    levers: LoopbackLevers
    symbol: str = MARKET.symbol
    price: Decimal = Decimal("95000.00")
    quantity: Decimal = Decimal("0.01")
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    server: LoopbackServer | None = None

    @contextmanager
    def refusing_cancels(self) -> Iterator[None]:
        """While inside, the server answers every cancel as Binance answers one for an
        order it does not know (HTTP 400, ``-2011 Unknown order sent.``) and leaves the
        order as it is."""
        if self.server is None:
            raise RuntimeError("refusing cancels needs the server in this process")
        routes = self.server.api.routes
        kept = routes[_CANCEL]

        def refuse(account: LoopbackAccount, params: Mapping[str, str]) -> object:
            raise ApiError(400, -2011, "Unknown order sent.")

        routes[_CANCEL] = refuse
        try:
            yield
        finally:
            routes[_CANCEL] = kept

    async def set_market(self, bid: Decimal, ask: Decimal) -> None:
        """Quote ``bid``/``ask`` with depth 100 x ``quantity``."""
        await self.levers.quote(self.symbol, bid, ask, self.quantity * 100)

    async def trade_through(self, price: Decimal) -> None:
        """Print a trade at ``price``."""
        await self.levers.trade(self.symbol, price, self.quantity)

    async def settle(self) -> None:
        """Nothing to wait for: the loopback venue has no latency model."""


@contextmanager
def served_venue(
    config: Mapping[str, Any],
    directory: Path,
    env: Mapping[str, str] | None = None,
    *,
    quiet: bool = False,
) -> Iterator[str]:
    """Run ``orderdesk venue serve`` with ``config`` in its own process, its files in
    ``directory``, on a free port; yield its base URL and stop it afterwards. Its stderr
    is this process's (so a failed start shows why) unless ``quiet``."""
    (directory / "venue.json").write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, "-m", "orderdesk", "venue", "serve", "--config", "venue.json",
         "--state", "venue.db", "--port", "0"],
        cwd=directory, env=None if env is None else dict(env), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if "serving on" not in line:
            raise RuntimeError(f"the venue did not start: {line!r}")
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
