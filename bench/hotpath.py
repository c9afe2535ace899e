"""The order hot path: orders per second through the Broker on the paper exchange.

Run: ``python -m bench.hotpath [--orders N] [--store memory|sqlite-normal|sqlite-full]
[--type MARKET|LIMIT] [--profile]``. The desk is wired as :func:`orderdesk.app.paper_broker`
wires it (PaperExchange, Ledger on the chosen store, an AsyncBroker with the exchange's
market data and balance checks), on a manual clock, with the collector tuned as the README
advises (:func:`orderdesk.app.tune_gc`). Each order gets its own execution group, as a
caller that names none does, and the venue's reports are recorded after every order, as a
running report loop would:

* MARKET: submitted and filled at once (the submit reply carries the fill); the venue's ack
  and fill reports then repeat what the reply said.
* LIMIT: submitted one tick behind the touch (it rests), then a trade print at its price
  fills it; the ack report repeats the reply, the fill report is news.

Every order must end FILLED. Printed: orders per second, store transactions (commits) and
store reads per order (counted on a second, shorter run through a counting store, so the
timed run pays nothing for counting) and, with ``--profile``, a cProfile top list.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from bench.timing import machine_line
from orderdesk.app import PaperDesk, open_ledger, open_store, paper_desk, tune_gc
from orderdesk.clocks import ManualClock
from orderdesk.model import Order, OrderStatus, OrderType, Side, generate_group_id
from orderdesk.ports import Store
from orderdesk.testing.paper import START

STORES: Final = ("memory", "sqlite-normal", "sqlite-full")
TYPES: Final = ("MARKET", "LIMIT")
ACCOUNT: Final = "paper"
SYMBOL: Final = "BTC_USDT"
QUANTITY: Final = Decimal("0.0001")
BID, ASK, TICK = Decimal("94999.99"), Decimal("95000.01"), Decimal("0.01")
DEPOSITS: Final = {"USDT": Decimal(10_000_000_000), "BTC": Decimal(100_000)}
_READS: Final = frozenset(
    {
        "get_order",
        "get_group",
        "get_plan",
        "fill_by_trade",
        "find_by_client_order_id",
        "find_by_venue_order_id",
        "fills",
        "load",
        "has_group",
        "get_order_by_client_id",
    }
)


class _Counting:
    """A store (or transaction) that counts the calls made to it."""

    def __init__(self, inner: Any, counts: Counter[str]) -> None:
        self._inner = inner
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute
        counts = self._counts

        def counted(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return attribute(*args, **kwargs)

        return counted

    @contextmanager
    def transaction(self) -> Iterator[_Counting]:
        self._counts["transaction"] += 1
        with self._inner.transaction() as tx:
            yield _Counting(tx, self._counts)


def store_url(store: str, directory: Path, tag: str) -> str:
    """Return the URL of ``store`` (a name in :data:`STORES`) in ``directory``."""
    if store == "memory":
        return "memory://"
    mode = store.removeprefix("sqlite-").upper()
    return f"sqlite:///{directory / f'hotpath-{tag}-{mode}.db'}?synchronous={mode}"


def build(url: str, counts: Counter[str] | None = None) -> PaperDesk:
    """Return a desk wired as :func:`orderdesk.app.paper_broker` wires it, on a manual clock,
    on the store at ``url``; its store counts calls into ``counts``."""
    store: Store = open_store(url)
    if counts is not None:
        store = _Counting(store, counts)
    clock = ManualClock(START)
    desk = paper_desk(
        open_ledger(store, clock=clock), account=ACCOUNT, deposits=DEPOSITS, clock=clock
    )
    depth = Decimal(1_000_000)
    desk.exchange.on_quote(SYMBOL, [(BID, depth)], [(ASK, depth)])
    return desk


def make_orders(count: int, kind: str) -> list[Order]:
    """Return ``count`` orders of ``kind``, alternating BUY and SELL, each in its own group."""
    orders = []
    for n in range(count):
        side = Side.BUY if n % 2 == 0 else Side.SELL
        price = None
        if kind == "LIMIT":  # one tick behind the touch: it rests
            price = BID - TICK if side is Side.BUY else ASK + TICK
        orders.append(
            Order(
                parent_group_id=generate_group_id(START),
                symbol=SYMBOL,
                side=side,
                order_type=OrderType(kind),
                quantity=QUANTITY,
                price=price,
                created_at=START,
                updated_at=START,
            )
        )
    return orders


async def drive(desk: PaperDesk, orders: list[Order]) -> None:
    """Submit every order, fill the resting ones, and record the venue's reports."""
    broker, exchange = desk.broker, desk.exchange
    for order in orders:
        record = await broker.submit(order)
        if record.order.status is OrderStatus.OPEN:
            assert order.price is not None
            exchange.on_trade(SYMBOL, order.price, order.quantity)
        broker.on_reports(exchange.take_reports(ACCOUNT))


def check_all_filled(desk: PaperDesk, orders: list[Order]) -> None:
    """Raise unless every order ended FILLED with its whole quantity."""
    ledger = desk.broker.ledger
    for order in orders:
        record = ledger.get(ACCOUNT, order.order_id)
        if record.order.status is not OrderStatus.FILLED or record.filled_quantity != QUANTITY:
            raise AssertionError(f"{order.order_id} ended {record.order.status.value}")


def timed(
    url: str, kind: str, count: int, profile: bool
) -> tuple[float, float, pstats.Stats | None]:
    """Return orders per second over ``count`` orders, of wall and of process CPU time (less
    moved by other processes on a shared machine), and the profile if asked."""
    desk = build(url)
    orders = make_orders(count, kind)
    tune_gc()
    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    asyncio.run(drive(desk, orders))
    if profiler is not None:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    check_all_filled(desk, orders)
    desk.broker.ledger.store.close()
    return count / elapsed, count / cpu, None if profiler is None else pstats.Stats(profiler)


def counted(url: str, kind: str, count: int) -> Counter[str]:
    """Return the store calls made by ``count`` orders, by method name."""
    counts: Counter[str] = Counter()
    desk = build(url, counts)
    orders = make_orders(count, kind)
    counts.clear()  # only the orders' own calls
    asyncio.run(drive(desk, orders))
    made = counts.copy()  # before the check's own reads
    check_all_filled(desk, orders)
    desk.broker.ledger.store.close()
    return made


def main(argv: list[str] | None = None) -> None:
    """Print the hot path's figures for one store and order type."""
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--store", choices=STORES, default="memory")
    parser.add_argument("--type", choices=TYPES, default="MARKET", dest="kind")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url = store_url(args.store, directory, "timed")
        rate, cpu_rate, stats = timed(url, args.kind, args.orders, args.profile)
        sample = min(args.orders, 1_000)
        counts = counted(store_url(args.store, directory, "counted"), args.kind, sample)
    reads = sum(n for name, n in counts.items() if name in _READS)
    print(f"hotpath {args.kind} x {args.orders:,} on {args.store} ({machine_line()})")
    print(f"  orders/s            {rate:>10,.0f}")
    print(f"  orders/CPU-s        {cpu_rate:>10,.0f}")
    print(f"  transactions/order  {counts['transaction'] / sample:>10.2f}")
    print(f"  store reads/order   {reads / sample:>10.2f}")
    detail = ", ".join(f"{name} {n / sample:g}" for name, n in sorted(counts.items()))
    print(f"  calls/order         {detail}")
    if stats is not None:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
