"""backtrader on the peers' stream: Cerebro, one data feed of the ticks, one strategy.

Runs only in the peers' environment (``bench/.venv-peers``, built by ``python -m
bench.peers``): ``python -m bench.peer_backtrader --workload market --count N [--seed S]
[--budget SECONDS]``. Prints one JSON line (``bench.peer_stream.result_line``).

backtrader trades bars: tick ``n`` is bar ``n`` (open and close at the mid, high at the ask,
low at the bid). The strategy submits order ``n`` in bar ``n``'s ``next``; backtrader fills
a MARKET order at the next bar's open and a LIMIT order on the first bar that trades
through its price (the next one, by the stream's construction). Default broker, 50,000,000
cash, no commission, no analyzers or observers (``stdstats=False``). The clock runs from the
first ``next`` to the last completed order.
"""

from __future__ import annotations

import importlib.metadata
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import backtrader as bt

from bench.peer_stream import QUANTITY, Intent, Tick, peer_main, stream

START = datetime(2025, 12, 1, tzinfo=UTC).replace(tzinfo=None)


class TickFeed(bt.feed.DataBase):  # type: ignore[misc]
    """The stream's ticks as one bar each, a simulated second apart."""

    def __init__(self, ticks: list[Tick]) -> None:
        super().__init__()
        self._ticks = ticks
        self._next = 0

    def _load(self) -> bool:
        n = self._next
        if n >= len(self._ticks):
            return False
        self._next = n + 1
        tick = self._ticks[n]
        mid = (tick.bid + tick.ask) / 200
        lines = self.lines
        lines.datetime[0] = bt.date2num(START + timedelta(seconds=n))
        lines.open[0] = lines.close[0] = mid
        lines.high[0] = tick.ask / 100
        lines.low[0] = tick.bid / 100
        lines.volume[0] = 100.0
        lines.openinterest[0] = 0.0
        return True


class StreamStrategy(bt.Strategy):  # type: ignore[misc]
    """Submit intent ``n`` in bar ``n``; count completed and refused orders."""

    params = (("intents", None), ("budget", 600.0))

    def __init__(self) -> None:
        self.intents: list[Intent] = self.p.intents
        self.next_index = 0
        self.submitted = self.filled = self.refused = 0
        self.began = self.last_fill = 0.0
        self.over_budget = False
        self.size = float(QUANTITY)

    def next(self) -> None:
        """Submit the next order of the stream, unless the time budget is spent."""
        n = self.next_index
        if n >= len(self.intents):
            return
        now = time.perf_counter()
        if n == 0:
            self.began = now
        elif n % 256 == 0 and now - self.began > self.p.budget:
            self.over_budget = True
            self.env.runstop()
            return
        self.next_index = n + 1
        intent = self.intents[n]
        place = self.buy if intent.side == "BUY" else self.sell
        if intent.kind == "MARKET":
            place(size=self.size, exectype=bt.Order.Market)
        else:
            assert intent.price is not None
            place(size=self.size, exectype=bt.Order.Limit, price=intent.price / 100)
        self.submitted += 1

    def notify_order(self, order: Any) -> None:
        """Count a completed order, or one the broker refused."""
        if order.status == order.Completed:
            self.filled += 1
            self.last_fill = time.perf_counter()
        elif order.status in (order.Canceled, order.Margin, order.Rejected):
            self.refused += 1


def run(workload: str, count: int, seed: int, budget: float) -> dict[str, Any]:
    """Run the stream through Cerebro; return the result fields."""
    ticks, intents = stream(workload, count, seed)
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(TickFeed(ticks))
    cerebro.addstrategy(StreamStrategy, intents=intents, budget=budget)
    cerebro.broker.setcash(50_000_000.0)
    strategy = cerebro.run()[0]
    over = strategy.over_budget
    return {
        "system": "backtrader",
        "version": importlib.metadata.version("backtrader"),
        "variant": "Cerebro",
        "workload": workload,
        "requested": count,
        # Over budget, the run stops at once: the last order placed has not filled yet.
        "orders": strategy.filled if over else strategy.submitted,
        "filled": strategy.filled,
        "denied": strategy.refused,
        "seconds": strategy.last_fill - strategy.began,
        "over_budget": over,
        "settings": "stdstats=False, default broker, cash 50,000,000",
    }


def main(argv: list[str] | None = None) -> None:
    """Run from the command line (see :func:`bench.peer_stream.peer_main`)."""
    peer_main("python -m bench.peer_backtrader", run, argv)


if __name__ == "__main__":
    main()
