"""A :class:`~orderdesk.testing.connector_contract.VenueHarness` on an in-process PaperExchange."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orderdesk.app import paper_exchange
from orderdesk.clocks import ManualClock
from orderdesk.model import Market
from orderdesk.venues.paper import PaperConnector, PaperExchange

__all__ = ["PaperHarness", "paper_harness"]

START = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
MARKET = Market(
    symbol="BTC_USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.00001"),
    min_quantity=Decimal("0.0001"),
    min_notional=Decimal("5"),
)


@dataclass
class PaperHarness:
    """The paper venue's levers: quotes, trade prints and a manual clock."""

    exchange: PaperExchange
    clock: ManualClock
    connector: PaperConnector
    symbol: str = MARKET.symbol
    price: Decimal = Decimal("95000.00")
    quantity: Decimal = Decimal("0.01")
    started: datetime = START

    async def set_market(self, bid: Decimal, ask: Decimal) -> None:
        """Quote ``bid``/``ask`` with deep levels."""
        depth = self.quantity * 100
        self.exchange.on_quote(self.symbol, [(bid, depth)], [(ask, depth)])

    async def trade_through(self, price: Decimal) -> None:
        """Print a trade at ``price``."""
        self.exchange.on_trade(self.symbol, price, self.quantity)

    async def settle(self) -> None:
        """Advance the clock a second and release due reports."""
        self.clock.advance(timedelta(seconds=1))
        self.exchange.advance()


@asynccontextmanager
async def paper_harness(seed: int = 0) -> AsyncIterator[PaperHarness]:
    """Yield a harness on a fresh exchange with one funded account."""
    clock = ManualClock(START)
    funds = {"BTC": Decimal("10"), "USDT": Decimal("1000000")}
    exchange = paper_exchange([MARKET], clock=clock, seed=seed, accounts={"contract": funds})
    yield PaperHarness(exchange, clock, PaperConnector(exchange, "contract"))
