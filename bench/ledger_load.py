"""The ``load`` benchmark: one account's 1,000 open orders among many other orders."""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.ledger_lifecycle import ACCOUNT, T0, bench_group, make_lifecycles, prepared, statements
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger, bookkeeping
from orderdesk.ledger.stores.columns import SQLITE_CODEC
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.enums import OrderStatus
from orderdesk.model.ids import IdGenerator
from orderdesk.ports import OrderQuery, Store

__all__ = ["TARGET", "load_figures", "populate_sqlite", "profile_load"]

OPEN_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})
TARGET = "target"


def _population(total: int) -> Iterator[tuple[Any, ...]]:
    """Yield ``total`` order rows: the target account's 1,000 open and 1,000 filled orders,
    scattered among other accounts' orders (1,000 accounts, mixed statuses)."""
    group = bench_group()
    ids = IdGenerator(7)
    template = bookkeeping.new_record(
        ACCOUNT, make_lifecycles(1, group, 9)[0].order, venue="paper", client_order_id="x",
        plan_id=None, arrival_price=None,
    )  # fmt: skip
    row = list(SQLITE_CODEC.order_row(template))
    stride = total // 2_000
    statuses = [s.value for s in OrderStatus]
    for n in range(total):
        at = T0 + timedelta(milliseconds=n)
        text = SQLITE_CODEC.time(at)
        ours = n % stride == 0 and n // stride < 2_000
        row[0] = ids.make("ORD", at)
        row[1] = TARGET if ours else f"acct-{n % 1_000}"
        row[3] = f"c{n}"
        row[13] = ("OPEN" if n // stride % 2 == 0 else "FILLED") if ours else statuses[n % 7]
        row[14] = row[15] = text
        yield tuple(row)


def populate_sqlite(path: Path, total: int) -> None:
    """Fill a fresh SQLite ledger with ``total`` orders, in bulk."""
    store = SqliteStore(path, synchronous="NORMAL")
    prepared(store)
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    insert = statements("?")[0]
    db.execute("BEGIN")
    db.executemany(insert, _population(total))
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def load_figures(store: Store, runs: int) -> tuple[float, float, float, int]:
    """Return (p50 ms, p99 ms, p99 CPU ms, orders returned) for the target's open orders.

    CPU time (this thread's) beside wall time separates our work from waiting for a core.
    """
    ledger = Ledger(store, SystemClock())
    query = OrderQuery(statuses=OPEN_STATUSES)
    walls: list[float] = []
    cpus: list[float] = []
    count = 0
    for run in range(runs + 5):
        wall, cpu = time.perf_counter(), time.thread_time()
        page = ledger.load(TARGET, query, limit=1_000)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        count = len(page.records)
        if run >= 5:  # the first runs warm the page cache
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
    walls.sort()
    cpus.sort()
    p99 = int(len(walls) * 0.99) - 1
    return statistics.median(walls), walls[p99], cpus[p99], count


def profile_load(store: Store) -> str:
    """Return where ``load``'s time goes, by function (top 12, cumulative)."""
    import cProfile  # noqa: PLC0415
    import io  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    ledger = Ledger(store, SystemClock())
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        ledger.load(TARGET, OrderQuery(statuses=OPEN_STATUSES), limit=1_000)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    return out.getvalue()
