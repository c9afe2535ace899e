"""Ledger benchmarks: order lifecycles per second beside raw-driver floors, and ``load``.

    python -m bench.ledger            # full run: 1,000,000 orders for load
    python -m bench.ledger --quick    # 100,000 orders for load, fewer lifecycles

A lifecycle is record + ack + fill: three transactions writing the order row, the fill row
and three journal entries. Each floor writes the same rows with the same commits through
the bare driver (rows precomputed, no reads, no models); each figure is printed beside its
floor with the ratio, all from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger, bookkeeping, entries
from orderdesk.ledger.stores.columns import (
    FILL_COLUMNS,
    ORDER_COLUMNS,
    POSTGRES_CODEC,
    SQLITE_CODEC,
    Codec,
)
from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.enums import OrderStatus
from orderdesk.model.events import Acked, Filled
from orderdesk.model.fill import Fill
from orderdesk.model.ids import IdGenerator
from orderdesk.model.order import Order
from orderdesk.model.plans import ExecutionGroup
from orderdesk.model.records import JournalKind, OrderRecord
from orderdesk.ports import OrderQuery, Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACCOUNT = "bench"
POSTGRES_URL = os.environ.get(
    "ORDERDESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """One order's inputs, and the rows a floor writes for it."""

    order: Order
    client_order_id: str
    ack: Acked
    fill: Fill
    recorded: OrderRecord
    acked: OrderRecord
    filled: OrderRecord
    payloads: tuple[str, str, str]


def _payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def make_lifecycles(count: int, group: ExecutionGroup, seed: int) -> list[Lifecycle]:
    """Build ``count`` lifecycles, each with the records the Ledger would write."""
    ids = IdGenerator(seed)
    result = []
    for n in range(count):
        at = T0 + timedelta(microseconds=n)
        order = Order.model_validate({
            "order_id": ids.make("ORD", at), "parent_group_id": group.group_id,
            "symbol": "BTC_USDT", "side": "BUY", "order_type": "LIMIT",
            "quantity": "0.500", "price": "95000.00", "created_at": at,
        })  # fmt: skip
        ack = Acked(at, f"V{n}")
        fill = Fill(
            fill_id=ids.make("FIL", at), order_id=order.order_id, trade_id=f"T{seed}-{n}",
            quantity=Decimal("0.500"), price=Decimal("94999.50"), executed_at=at,
        )  # fmt: skip
        recorded = bookkeeping.new_record(
            ACCOUNT, order, venue="paper", client_order_id=f"c{seed}-{n}", plan_id=None,
            arrival_price=None,
        )  # fmt: skip
        t_ack = bookkeeping.decide_event(recorded, None, ack)
        acked = bookkeeping.after_event(recorded, t_ack, at)
        assert acked is not None
        t_fill = bookkeeping.decide_event(acked, None, Filled(fill))
        filled = bookkeeping.after_event(acked, t_fill, at)
        assert filled is not None
        payloads = (
            _payload_text(entries.encode_order(recorded)),
            _payload_text(entries.encode_event(ack, t_ack)),
            _payload_text(entries.encode_event(Filled(fill), t_fill)),
        )
        result.append(Lifecycle(order, recorded.client_order_id, ack, fill, recorded, acked,
                                filled, payloads))  # fmt: skip
    return result


def run_ledger(store: Store, group: ExecutionGroup, lifecycles: list[Lifecycle]) -> float:
    """Return lifecycles per second through the Ledger."""
    ledger = Ledger(store, SystemClock())
    start = time.perf_counter()
    for life in lifecycles:
        order_id = life.order.order_id
        ledger.record_order(
            ACCOUNT, life.order, venue="paper", client_order_id=life.client_order_id
        )
        ledger.apply(ACCOUNT, order_id, life.ack)
        ledger.apply(ACCOUNT, order_id, Filled(life.fill))
    return len(lifecycles) / (time.perf_counter() - start)


def _journal_row(codec: Codec, life: Lifecycle, kind: JournalKind, payload: str) -> tuple[Any, ...]:
    order = life.order
    return (codec.time(order.created_at), kind.value, ACCOUNT, order.order_id,
            order.parent_group_id, None, None, None, payload)  # fmt: skip


_JOURNAL_INSERT = (
    "INSERT INTO journal (at, kind, account, order_id, group_id, plan_id, causation_id, "
    "correlation_id, payload) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)


def _statements(p: str) -> tuple[str, str, str, str]:
    order_insert = (
        f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
        f"VALUES ({', '.join([p] * len(ORDER_COLUMNS))})"
    )
    order_update = (
        f"UPDATE orders SET {', '.join(f'{c} = {p}' for c in ORDER_COLUMNS[1:])} "
        f"WHERE order_id = {p} AND version = {p}"
    )
    fill_insert = (
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) "
        f"VALUES ({', '.join([p] * len(FILL_COLUMNS))})"
    )
    return order_insert, order_update, fill_insert, _JOURNAL_INSERT.format(p=p)


Row = tuple[Any, ...]
FloorRows = tuple[Row, Row, Row, Row, Row, Row, Row]
"""A lifecycle's rows: order, journal, ack update, journal, fill update, fill, journal."""


def _floor_rows(codec: Codec, lifecycles: list[Lifecycle]) -> list[FloorRows]:
    rows: list[FloorRows] = []
    for life in lifecycles:
        acked, filled = codec.order_row(life.acked), codec.order_row(life.filled)
        rows.append((
            codec.order_row(life.recorded),
            _journal_row(codec, life, JournalKind.ORDER_RECORDED, life.payloads[0]),
            (*acked[1:], acked[0], 1),
            _journal_row(codec, life, JournalKind.ACKED, life.payloads[1]),
            (*filled[1:], filled[0], 2),
            codec.fill_row("paper", "BTC_USDT", life.fill),
            _journal_row(codec, life, JournalKind.FILLED, life.payloads[2]),
        ))  # fmt: skip
    return rows


def run_sqlite_floor(path: Path, synchronous: str, lifecycles: list[Lifecycle]) -> float:
    """Return lifecycles per second writing the same rows through bare sqlite3."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("PRAGMA foreign_keys = ON")
    insert, update, fill_insert, journal = _statements("?")
    rows = _floor_rows(SQLITE_CODEC, lifecycles)
    execute = db.execute
    start = time.perf_counter()
    for o, j1, a, j2, f, fill, j3 in rows:
        execute("BEGIN IMMEDIATE")
        execute(insert, o)
        execute(journal, j1)
        execute("COMMIT")
        execute("BEGIN IMMEDIATE")
        execute(update, a)
        execute(journal, j2)
        execute("COMMIT")
        execute("BEGIN IMMEDIATE")
        execute(update, f)
        execute(fill_insert, fill)
        execute(journal, j3)
        execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return len(rows) / elapsed


def run_postgres_floor(url: str, lifecycles: list[Lifecycle]) -> float:
    """Return lifecycles per second writing the same rows through bare psycopg."""
    import psycopg  # noqa: PLC0415 - optional extra

    insert, update, fill_insert, journal = _statements("%s")
    rows = _floor_rows(POSTGRES_CODEC, lifecycles)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("SET search_path TO bench_floor")
        execute = db.execute
        start = time.perf_counter()
        for o, j1, a, j2, f, fill, j3 in rows:
            with db.transaction():
                execute(insert, o)
                execute(journal, j1)
            with db.transaction():
                execute(update, a)
                execute(journal, j2)
            with db.transaction():
                execute(update, f)
                execute(fill_insert, fill)
                execute(journal, j3)
        return len(rows) / (time.perf_counter() - start)


def run_memory_floor(lifecycles: list[Lifecycle]) -> float:
    """Return lifecycles per second storing the same rows in bare dicts and lists."""
    rows = _floor_rows(SQLITE_CODEC, lifecycles)
    orders: dict[str, tuple[Any, ...]] = {}
    fills: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    journal: list[tuple[Any, ...]] = []
    start = time.perf_counter()
    for o, j1, a, j2, f, fill, j3 in rows:
        orders[o[0]] = o
        journal.append(j1)
        orders[a[-2]] = a
        journal.append(j2)
        orders[f[-2]] = f
        fills[(fill[2], fill[3], fill[4])] = fill
        journal.append(j3)
    return len(rows) / (time.perf_counter() - start)


@contextmanager
def postgres_schema(name: str) -> Iterator[str | None]:
    """Yield a URL scoped to a fresh schema, or None if PostgreSQL is unreachable."""
    try:
        import psycopg  # noqa: PLC0415 - optional extra

        admin = psycopg.connect(POSTGRES_URL, autocommit=True)
    except Exception:  # any failure to connect means: skip PostgreSQL
        yield None
        return
    admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    try:
        yield name
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.close()


def _group() -> ExecutionGroup:
    return ExecutionGroup(group_id="EXG_20260105_090000_bench", account=ACCOUNT, strategy="bench",
                          symbol="BTC_USDT", side="BUY", created_at=T0)  # fmt: skip


def _prepared(store: Store) -> ExecutionGroup:
    group = _group()
    Ledger(store, SystemClock()).record_group(group)
    return group


def lifecycle_figures(count: int, workdir: Path) -> list[tuple[str, float, float]]:
    """Return (store, ledger lifecycles/s, floor lifecycles/s) for every store."""
    figures = []
    group = _group()
    memory = run_ledger(m := MemoryStore(), _prepared(m), make_lifecycles(count * 4, group, 1))
    figures.append(("memory", memory, run_memory_floor(make_lifecycles(count * 4, group, 2))))
    for sync, n in (("FULL", count), ("NORMAL", count * 2)):
        store = SqliteStore(workdir / f"ledger-{sync}.db", synchronous=sync)  # type: ignore[arg-type]
        ledger_rate = run_ledger(store, _prepared(store), make_lifecycles(n, group, 3))
        store.close()
        floor = SqliteStore(workdir / f"floor-{sync}.db")
        _prepared(floor)
        floor.close()
        floor_rate = run_sqlite_floor(
            workdir / f"floor-{sync}.db", sync, make_lifecycles(n, group, 4)
        )
        figures.append((f"SQLite {sync}", ledger_rate, floor_rate))
    from orderdesk.ledger.stores.postgres import PostgresStore  # noqa: PLC0415

    with (
        postgres_schema("bench_ledger") as ledger_schema,
        postgres_schema("bench_floor") as floor_schema,
    ):
        if ledger_schema is None or floor_schema is None:
            print("PostgreSQL unreachable: skipped")
        else:
            pg = PostgresStore(POSTGRES_URL, schema=ledger_schema)
            ledger_rate = run_ledger(pg, _prepared(pg), make_lifecycles(count, group, 5))
            pg.close()
            pg_floor = PostgresStore(POSTGRES_URL, schema=floor_schema)
            _prepared(pg_floor)
            pg_floor.close()
            floor_rate = run_postgres_floor(POSTGRES_URL, make_lifecycles(count, group, 6))
            figures.append(("PostgreSQL", ledger_rate, floor_rate))
    return figures


OPEN_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})
TARGET = "target"


def _population(total: int) -> Iterator[tuple[Any, ...]]:
    """Yield ``total`` order rows: the target account's 1,000 open and 1,000 filled orders,
    scattered among other accounts' orders (1,000 accounts, mixed statuses)."""
    group = _group()
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
    _prepared(store)
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    insert = _statements("?")[0]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 orders, fewer lifecycles")
    parser.add_argument("--orders", type=int, default=None, help="orders for the load test")
    parser.add_argument("--write", action="store_true", help="record the figures in RESULTS.md")
    args = parser.parse_args()
    total = args.orders or (100_000 if args.quick else 1_000_000)
    count = 500 if args.quick else 2_000
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}.",
        "",
        "| store | ledger lifecycles/s | raw-driver floor lifecycles/s | ledger / floor |",
        "|---|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name, rate, floor in lifecycle_figures(count, workdir):
            lines.append(f"| {name} | {rate:,.0f} | {floor:,.0f} | {rate / floor:.2f} |")
            print(lines[-1], flush=True)
        path = workdir / "load.db"
        start = time.perf_counter()
        populate_sqlite(path, total)
        print(f"populated {total:,} orders in {time.perf_counter() - start:.0f} s", flush=True)
        store = SqliteStore(path)
        p50, p99, cpu99, returned = load_figures(store, 200)
        profile = profile_load(store) if p99 >= 20 else ""
        store.close()
    lines += [
        "",
        f"`load` of one account's {returned:,} open orders (status in PENDING, OPEN, "
        f"PARTIALLY_FILLED) among {total:,} orders, SQLite, 200 runs: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (aim: p99 < 20 ms); "
        f"p99 of CPU time {cpu99:.1f} ms.",
    ]
    print("\n".join(lines[-1:]))
    if profile:
        print(profile)
    if args.write:
        text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        head, _, rest = text.partition("## Ledger (issue 3)")
        tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
        section = "## Ledger (issue 3)\n\n" + "\n".join(lines) + "\n"
        RESULTS.write_text(head.rstrip() + "\n\n" + section + tail)


if __name__ == "__main__":
    main()
