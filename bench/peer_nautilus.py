"""nautilus_trader on the peers' stream: a BacktestEngine, a simulated venue, one strategy.

Runs only in the peers' environment (``bench/.venv-peers``, built by ``python -m
bench.peers``): ``python -m bench.peer_nautilus --workload market --count N [--seed S]
[--budget SECONDS]``. Prints one JSON line (``bench.peer_stream.result_line``).

Set for the comparison: logging off (``bypass_logging``); the risk engine's order submit
and modify rates raised to 1,000,000 per second (its default, 100 per second of simulated
time, would deny most of the stream: denied orders are counted and reported); a cash
account with 50,000,000 USDT and 100,000 BTC, so nothing is denied for balance (more would
trip its float balance check); a NETTING book. The strategy submits order ``n`` on quote
tick ``n``; the clock runs from the first tick to the last fill.
"""

from __future__ import annotations

import importlib.metadata
import time
from datetime import UTC, datetime
from typing import Any

from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, RiskEngineConfig, StrategyConfig
from nautilus_trader.model.currencies import BTC, USDT
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, Venue
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from nautilus_trader.trading.strategy import Strategy

from bench.peer_stream import DEPTH, QUANTITY, Intent, Tick, peer_main, stream

RATE = "1000000/00:00:01"
START_NS = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
TICK_NS = 1_000_000  # one quote per simulated millisecond
SIZE_PRECISION = 6  # the test kit's BTCUSDT: prices in cents, sizes in 0.000001


class StreamConfig(StrategyConfig, frozen=True):  # type: ignore[misc,call-arg]
    """The instrument the stream trades."""

    instrument_id: InstrumentId


class StreamStrategy(Strategy):  # type: ignore[misc]
    """Submit intent ``n`` on quote tick ``n``; count fills, denials and rejections."""

    def __init__(self, config: StreamConfig, intents: list[Intent], budget: float) -> None:
        super().__init__(config)
        self.intents = intents
        self.budget = budget
        self.next_index = 0
        self.submitted = self.filled = self.denied = self.rejected = 0
        self.began = self.last_fill = 0.0
        self.over_budget = False
        self.quantity = Quantity(float(QUANTITY), SIZE_PRECISION)

    def on_start(self) -> None:
        """Subscribe to the instrument's quotes."""
        self.subscribe_quote_ticks(self.config.instrument_id)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """Submit the next order of the stream, unless the time budget is spent."""
        n = self.next_index
        if n >= len(self.intents) or self.over_budget:
            return
        now = time.perf_counter()
        if n == 0:
            self.began = now
        elif n % 256 == 0 and now - self.began > self.budget:
            self.over_budget = True
            return
        self.next_index = n + 1
        intent = self.intents[n]
        side = OrderSide.BUY if intent.side == "BUY" else OrderSide.SELL
        factory = self.order_factory
        if intent.kind == "MARKET":
            order = factory.market(self.config.instrument_id, side, self.quantity)
        else:
            assert intent.price is not None
            price = Price(intent.price / 100, 2)
            order = factory.limit(self.config.instrument_id, side, self.quantity, price)
        self.submit_order(order)
        self.submitted += 1

    def on_order_filled(self, event: Any) -> None:
        """Count a fill (each order fills whole: the quote is 100 deep)."""
        self.filled += 1
        self.last_fill = time.perf_counter()

    def on_order_denied(self, event: Any) -> None:
        """Count a denial by the risk engine."""
        self.denied += 1
        self.reason = str(event.reason)

    def on_order_rejected(self, event: Any) -> None:
        """Count a rejection by the venue."""
        self.rejected += 1


def quote_ticks(instrument_id: InstrumentId, ticks: list[Tick]) -> list[QuoteTick]:
    """Return the stream's ticks as nautilus quote ticks, one per simulated millisecond."""
    depth = Quantity(float(DEPTH), SIZE_PRECISION)
    out = []
    for n, tick in enumerate(ticks):
        at = START_NS + n * TICK_NS
        bid, ask = Price(tick.bid / 100, 2), Price(tick.ask / 100, 2)
        out.append(QuoteTick(instrument_id, bid, ask, depth, depth, at, at))
    return out


def run(workload: str, count: int, seed: int, budget: float) -> dict[str, Any]:
    """Run the stream through a BacktestEngine; return the result fields."""
    ticks, intents = stream(workload, count, seed)
    engine = BacktestEngine(
        config=BacktestEngineConfig(
            trader_id="BENCH-001",
            logging=LoggingConfig(bypass_logging=True, log_level="OFF"),
            risk_engine=RiskEngineConfig(max_order_submit_rate=RATE, max_order_modify_rate=RATE),
        )
    )
    venue = Venue("BINANCE")
    engine.add_venue(
        venue=venue,
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        base_currency=None,
        starting_balances=[Money(50_000_000, USDT), Money(100_000, BTC)],
    )
    instrument = TestInstrumentProvider.btcusdt_binance()
    engine.add_instrument(instrument)
    engine.add_data(quote_ticks(instrument.id, ticks))
    strategy = StreamStrategy(StreamConfig(instrument_id=instrument.id), intents, budget)
    engine.add_strategy(strategy)
    engine.run()
    seconds = strategy.last_fill - strategy.began
    result = {
        "system": "nautilus_trader",
        "version": importlib.metadata.version("nautilus_trader"),
        "variant": "BacktestEngine",
        "workload": workload,
        "requested": count,
        "orders": strategy.submitted,
        "filled": strategy.filled,
        "denied": strategy.denied,
        "deny_reason": getattr(strategy, "reason", None),
        "rejected": strategy.rejected,
        "seconds": seconds,
        "over_budget": strategy.over_budget,
        "settings": f"max_order_submit_rate={RATE}, logging off",
    }
    engine.dispose()
    return result


def main(argv: list[str] | None = None) -> None:
    """Run from the command line (see :func:`bench.peer_stream.peer_main`)."""
    peer_main("python -m bench.peer_nautilus", run, argv)


if __name__ == "__main__":
    main()
