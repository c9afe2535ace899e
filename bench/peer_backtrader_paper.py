"""backtrader on the inputs of ``python -m bench.paper_run``: the same quotes and orders CSVs.

Runs only in the peers' environment (``bench/.venv-peers``, built by ``python -m
bench.peers``): ``python -m bench.peer_backtrader_paper --quotes FILE --orders FILE``.
Prints one JSON line: the orders completed, cancelled and refused, and the seconds spent
reading the two files and in ``Cerebro.run``.

Each quote is one bar (open and close at the mid, high at the ask, low at the bid, as in
:mod:`bench.peer_backtrader`). In bar ``n``'s ``next`` the strategy submits every order
timed before bar ``n + 1`` (so an order sees the last quote before it, as in ``orderdesk
paper run``) and cancels every working order whose ``cancel_at`` falls before bar ``n + 1``.
backtrader fills a MARKET order at the next bar's open and a LIMIT order on the first bar
that reaches its price. Default broker, 1,000,000,000 cash, no commission, no analyzers or
observers (``stdstats=False``).
"""

from __future__ import annotations

import argparse
import csv
import heapq
import importlib.metadata
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import backtrader as bt


def _time(text: str) -> float:
    """``2025-12-01T00:00:00.100Z`` as backtrader's date number (naive UTC)."""
    return float(bt.date2num(datetime.fromisoformat(text).replace(tzinfo=None)))


class Row:
    """One order of the orders CSV, in backtrader's terms."""

    __slots__ = ("at", "buy", "cancel_at", "market", "price", "size")

    def __init__(self, row: list[str]) -> None:
        at, _, side, kind, quantity, price, cancel_at = row
        self.at = _time(at)
        self.buy = side == "BUY"
        self.market = kind == "MARKET"
        self.size = float(quantity)
        self.price = float(price) if price else None
        self.cancel_at = _time(cancel_at) if cancel_at else None


def read_quotes(path: Path) -> list[tuple[float, float, float]]:
    """Return (date number, bid, ask) per quote."""
    with path.open(newline="", encoding="ascii") as handle:
        rows = csv.reader(handle)
        next(rows)
        return [(_time(r[0]), float(r[2]), float(r[4])) for r in rows]


def read_orders(path: Path) -> list[Row]:
    """Return the orders in file order (it is sorted by time)."""
    with path.open(newline="", encoding="ascii") as handle:
        rows = csv.reader(handle)
        next(rows)
        return [Row(r) for r in rows]


class QuoteFeed(bt.feed.DataBase):  # type: ignore[misc]
    """One bar per quote."""

    def __init__(self, quotes: list[tuple[float, float, float]]) -> None:
        super().__init__()
        self._quotes = quotes
        self._next = 0

    def _load(self) -> bool:
        n = self._next
        if n >= len(self._quotes):
            return False
        self._next = n + 1
        at, bid, ask = self._quotes[n]
        lines = self.lines
        lines.datetime[0] = at
        lines.open[0] = lines.close[0] = (bid + ask) / 2
        lines.high[0] = ask
        lines.low[0] = bid
        lines.volume[0] = 2.0
        lines.openinterest[0] = 0.0
        return True


class CsvOrders(bt.Strategy):  # type: ignore[misc]
    """Submit each order before the first bar after its time; cancel at ``cancel_at``."""

    params = (("orders", None), ("times", None))

    def __init__(self) -> None:
        self.rows: list[Row] = self.p.orders
        self.times: list[float] = self.p.times
        self.bar = -1
        self.next_row = 0
        self.cancels: list[tuple[float, int, Any]] = []
        self.submitted = self.completed = self.cancelled = self.refused = 0

    def next(self) -> None:
        """Submit and cancel what falls before the next bar."""
        self.bar += 1
        bar = self.bar
        until = self.times[bar + 1] if bar + 1 < len(self.times) else float("inf")
        rows, n = self.rows, self.next_row
        while n < len(rows) and rows[n].at < until:
            row = rows[n]
            n += 1
            place = self.buy if row.buy else self.sell
            if row.market:
                order = place(size=row.size, exectype=bt.Order.Market)
            else:
                order = place(size=row.size, exectype=bt.Order.Limit, price=row.price)
            self.submitted += 1
            if row.cancel_at is not None:
                heapq.heappush(self.cancels, (row.cancel_at, n, order))
        self.next_row = n
        cancels = self.cancels
        while cancels and cancels[0][0] < until:
            order = heapq.heappop(cancels)[2]
            if order.alive():
                self.cancel(order)

    def notify_order(self, order: Any) -> None:
        """Count completed, cancelled and refused orders."""
        if order.status == order.Completed:
            self.completed += 1
        elif order.status == order.Canceled:
            self.cancelled += 1
        elif order.status in (order.Margin, order.Rejected):
            self.refused += 1


def run(quotes_csv: Path, orders_csv: Path) -> dict[str, Any]:
    """Read both files, run Cerebro over them; return the result fields."""
    began = time.perf_counter()
    quotes = read_quotes(quotes_csv)
    orders = read_orders(orders_csv)
    loaded = time.perf_counter()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(QuoteFeed(quotes))
    cerebro.addstrategy(CsvOrders, orders=orders, times=[q[0] for q in quotes])
    cerebro.broker.setcash(1_000_000_000.0)
    strategy = cerebro.run()[0]
    done = time.perf_counter()
    return {
        "system": "backtrader",
        "version": importlib.metadata.version("backtrader"),
        "quotes": len(quotes),
        "orders": len(orders),
        "submitted": strategy.submitted,
        "completed": strategy.completed,
        "cancelled": strategy.cancelled,
        "refused": strategy.refused,
        "load_seconds": loaded - began,
        "run_seconds": done - loaded,
    }


def main(argv: list[str] | None = None) -> None:
    """Run from the command line; print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.peer_backtrader_paper")
    parser.add_argument("--quotes", type=Path, required=True)
    parser.add_argument("--orders", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quotes, args.orders), sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
