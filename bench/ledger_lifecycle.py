"""The lifecycle benchmark: record + ack + fill per second, beside raw-driver floors.

A lifecycle is record + ack + fill: three transactions writing the order row, the fill row
and three journal entries. Each floor writes the same rows with the same commits through
the bare driver (rows precomputed, no reads, no models); each figure is printed beside its
floor with the ratio, all from one run.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
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
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.enums import Side
from orderdesk.model.events import Acked, Filled
from orderdesk.model.fill import Fill
from orderdesk.model.ids import IdGenerator
from orderdesk.model.order import Order
from orderdesk.model.plans import ExecutionGroup
from orderdesk.model.records import JournalKind, OrderRecord
from orderdesk.ports import Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACCOUNT = "bench"
POSTGRES_URL = os.environ.get(
    "ORDERDESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


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
    ids = IdGenerator(seed << 24)  # 16 million ids per seed: runs never collide
    result = []
    for n in range(count):
        at = T0 + timedelta(microseconds=n)
        order = Order.model_validate({
            "order_id": ids.make("ORD", at), "parent_group_id": group.group_id,
            "symbol": "BTC_USDT", "side": "BUY", "order_type": "LIMIT",
            "quantity": "0.500", "price": "95000.00", "created_at": at, "updated_at": at,
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


def statements(p: str) -> tuple[str, str, str, str]:
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
            codec.fill_row(ACCOUNT, "paper", "BTC_USDT", Side.BUY, life.fill),
            _journal_row(codec, life, JournalKind.FILLED, life.payloads[2]),
        ))  # fmt: skip
    return rows


def run_sqlite_floor(path: Path, synchronous: str, lifecycles: list[Lifecycle]) -> float:
    """Return lifecycles per second writing the same rows through bare sqlite3."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("PRAGMA foreign_keys = ON")
    insert, update, fill_insert, journal = statements("?")
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

    insert, update, fill_insert, journal = statements("%s")
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


def bench_group() -> ExecutionGroup:
    """Return the execution group every benchmark order belongs to."""
    return ExecutionGroup(group_id="EXG_20260105_090000_bench", account=ACCOUNT, strategy="bench",
                          symbol="BTC_USDT", side="BUY", created_at=T0)  # fmt: skip


def prepared(store: Store) -> ExecutionGroup:
    """Record the benchmark's one execution group in ``store``."""
    group = bench_group()
    Ledger(store, SystemClock()).record_group(group)
    return group


ROUNDS = 3


def _settled(run: Callable[[list[Lifecycle]], float], lifecycles: list[Lifecycle]) -> float:
    """Time ``run`` with the prepared inputs frozen out of the garbage collector's sight,
    as a long-running process freezes its start-up state (``orderdesk.app.tune_gc``)."""
    gc.collect()
    gc.freeze()
    try:
        return run(lifecycles)
    finally:
        gc.unfreeze()


def _best(
    name: str,
    count: int,
    ledger_run: Callable[[list[Lifecycle]], float],
    floor_run: Callable[[list[Lifecycle]], float],
) -> tuple[str, float, float]:
    """Return the best of ROUNDS interleaved runs of the ledger and of its floor."""
    group = bench_group()
    ledger_rates, floor_rates = [], []
    for round_ in range(ROUNDS):
        ledger_rates.append(_settled(ledger_run, make_lifecycles(count, group, 10 * round_ + 1)))
        floor_rates.append(_settled(floor_run, make_lifecycles(count, group, 10 * round_ + 2)))
    return name, max(ledger_rates), max(floor_rates)


def lifecycle_figures(count: int, workdir: Path) -> list[tuple[str, float, float]]:
    """Return (store, ledger lifecycles/s, floor lifecycles/s) for every store."""
    memory = MemoryStore()
    group = prepared(memory)
    figures = [
        _best(
            "memory",
            count * 4,
            lambda lives: run_ledger(memory, group, lives),
            run_memory_floor,
        )
    ]
    for sync, n in (("FULL", count), ("NORMAL", count * 2)):
        lite = SqliteStore(workdir / f"ledger-{sync}.db", synchronous=sync)  # type: ignore[arg-type]
        prepared(lite)
        floor_path = workdir / f"floor-{sync}.db"
        floor = SqliteStore(floor_path)
        prepared(floor)
        floor.close()
        figures.append(
            _best(
                f"SQLite {sync}",
                n,
                lambda lives, store=lite: run_ledger(store, group, lives),  # type: ignore[misc]
                lambda lives, path=floor_path, level=sync: run_sqlite_floor(path, level, lives),  # type: ignore[misc]
            )
        )
        lite.close()
    with (
        postgres_schema("bench_ledger") as ledger_schema,
        postgres_schema("bench_floor") as floor_schema,
    ):
        if ledger_schema is None or floor_schema is None:
            print("PostgreSQL unreachable: skipped")
            return figures
        pg = PostgresStore(POSTGRES_URL, schema=ledger_schema)
        prepared(pg)
        pg_floor = PostgresStore(POSTGRES_URL, schema=floor_schema)
        prepared(pg_floor)
        pg_floor.close()
        figures.append(
            _best(
                "PostgreSQL",
                count,
                lambda lives: run_ledger(pg, group, lives),
                lambda lives: run_postgres_floor(POSTGRES_URL, lives),
            )
        )
        pg.close()
    return figures
