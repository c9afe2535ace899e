"""The composition root: the one place that names concrete stores and venues."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from decimal import Decimal

from orderdesk.broker import Broker, BrokerSettings
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import Market
from orderdesk.ports import Clock, Connector
from orderdesk.venues.paper import PaperConnector, PaperExchange
from orderdesk.venues.paper.market_data import PaperMarketData

__all__ = ["DEFAULT_DEPOSITS", "DEFAULT_MARKETS", "paper_broker", "tune_gc"]

DEFAULT_MARKETS = (
    Market(
        symbol="BTC_USDT",
        base_asset="BTC",
        quote_asset="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_quantity=Decimal("0.00001"),
        min_notional=Decimal("5"),
    ),
    Market(
        symbol="ETH_USDT",
        base_asset="ETH",
        quote_asset="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.0001"),
        min_quantity=Decimal("0.0001"),
        min_notional=Decimal("5"),
    ),
)
"""BTC_USDT and ETH_USDT with Binance-like filters."""

DEFAULT_DEPOSITS: Mapping[str, Decimal] = {
    "USDT": Decimal(100_000),
    "BTC": Decimal(1),
    "ETH": Decimal(10),
}


def paper_broker(
    ledger_url: str = "memory://",
    *,
    account: str = "paper",
    markets: Iterable[Market] = DEFAULT_MARKETS,
    deposits: Mapping[str, Decimal] = DEFAULT_DEPOSITS,
    seed: int = 0,
    clock: Clock | None = None,
) -> tuple[Broker, PaperExchange]:
    """Return a Broker trading on a fresh in-process PaperExchange, and the exchange.

    ``ledger_url`` is any store URL: ``memory://`` (default), a file path or
    ``sqlite:///orderdesk.db`` (durable), ``postgresql://...``. The broker is set to
    ``account``, funded with ``deposits``; feed the exchange quotes or a feed to trade.
    """
    clock = clock or SystemClock()
    exchange = PaperExchange(list(markets), clock=clock, seed=seed)
    exchange.open_account(account, deposits)

    def connect(settings: BrokerSettings) -> Connector:
        return PaperConnector(exchange, settings.account)

    ledger = Ledger(open_store(ledger_url), clock)
    broker = Broker(ledger, connect, clock=clock, market_data=PaperMarketData(exchange))
    broker.settings(account=account)
    return broker, exchange


def tune_gc(young: int = 100_000) -> None:
    """Tune the garbage collector for a long-running desk; call once, after start-up.

    Everything alive now (modules, markets, settings) moves out of the collector's sight
    (``gc.freeze``), and the youngest generation is collected every ``young`` allocations
    rather than every 700: a ``load`` of 1,000 orders makes some 20,000 objects, and with
    the defaults a full collection of the whole heap lands inside one load in a hundred.
    Measured on ``load`` among 1,000,000 orders: p99 38 ms with the defaults, 17 ms tuned.
    It changes the whole process, so it is the application's call, not the library's.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, 50, 1_000)
