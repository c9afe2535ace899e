"""Schema versions: an older database is migrated step by step without losing data; a newer
one is refused with a clear message and left untouched."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from orderdesk.clocks import ManualClock
from orderdesk.errors import SchemaVersionError
from orderdesk.ledger import Journal, Ledger, bookkeeping
from orderdesk.ledger.stores import postgres_schema, sqlite_schema
from orderdesk.ledger.stores.columns import POSTGRES_CODEC, SQLITE_CODEC
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.enums import OrderStatus
from orderdesk.model.events import Acked, Cancelled, Filled
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.testing.assertions import exact
from orderdesk.testing.ledger_kit import T0, fill_of, make_group, order_in_group, recorded_order

V1_ORDER_COLUMNS = 24  # the orders columns of schema version 1


def _v1_record() -> tuple[OrderRecord, str]:
    group = make_group()
    order = order_in_group(group, quantity="0.50000", price="95000.00")
    record = bookkeeping.new_record(
        "acct-1",
        order,
        venue="paper",
        client_order_id="v1-order",
        plan_id=None,
        arrival_price=None,
    )
    return record, group.model_dump_json(exclude={"order_ids"})


def test_sqlite_version_1_database_migrates_to_latest_keeping_its_orders(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    record, group_body = _v1_record()
    with sqlite3.connect(path) as old:
        sqlite_schema.migrate(old, 0, target=1)
        old.execute(
            "INSERT INTO groups (group_id, account, plan_id, body) VALUES (?, ?, NULL, ?)",
            (record.order.parent_group_id, "acct-1", group_body),
        )
        row = SQLITE_CODEC.order_row(record)[:V1_ORDER_COLUMNS]
        old.execute(f"INSERT INTO orders VALUES ({', '.join('?' * len(row))})", row)
    assert sqlite_schema.read_version(sqlite3.connect(path)) == 1

    store = SqliteStore(path)
    ledger = Ledger(store, ManualClock(T0))
    migrated = ledger.get("acct-1", record.order_id)
    ledger.apply("acct-1", record.order_id, Acked(T0, "V-1"))

    assert store.schema_version == sqlite_schema.LATEST == 6
    assert migrated == record
    assert exact(migrated.order) == exact(record.order)
    assert (migrated.arrival_price, migrated.sent_at, migrated.completed_at) == (None, None, None)
    assert ledger.get("acct-1", record.order_id).acked_at == T0


def _filled_out_of_order(ledger: Ledger) -> str:
    """Record an order filled by two fills whose reports came latest first; return its id."""
    record = recorded_order(ledger, quantity="1.0")
    order = record.order
    late = fill_of(order, "0.5", "t-late", at=T0 + timedelta(seconds=9))
    early = fill_of(order, "0.5", "t-early", at=T0 + timedelta(seconds=2))
    ledger.apply("acct-1", record.order_id, Filled(late))
    ledger.apply("acct-1", record.order_id, Filled(early))
    return record.order_id


_V4_COLUMNS = ("slippage_units", "slipped_notional", "fill_time_us")


def _sqlite_as_version_5(path: Path) -> None:
    """Take a current SQLite database back to schema 5, as an older orderdesk made it:
    plans, groups and client order ids unique across accounts, fills without an account.
    (SQLite cannot change a table's keys: the rows are copied into schema 5's tables.)"""
    old = path.with_suffix(".v6")
    path.rename(old)
    with sqlite3.connect(path) as db:
        sqlite_schema.migrate(db, 0, target=5)
        db.execute("ATTACH DATABASE ? AS v6", (str(old),))
        db.execute("INSERT INTO plans SELECT plan_id, account, body FROM v6.plans")
        db.execute("INSERT INTO groups SELECT group_id, account, plan_id, body FROM v6.groups")
        db.execute("INSERT INTO orders SELECT * FROM v6.orders")
        columns = "seq, fill_id, order_id, venue, symbol, trade_id, quantity, price, fee, "
        columns += "fee_asset, liquidity, executed_at, side"
        db.execute(f"INSERT INTO fills ({columns}) SELECT {columns} FROM v6.fills")
        db.execute("INSERT INTO journal SELECT * FROM v6.journal")
    old.unlink()


def _postgres_as_version_5(execute: Callable[..., object]) -> None:
    """Take a current PostgreSQL schema back to schema 5 (see :func:`_sqlite_as_version_5`)."""
    execute("DROP INDEX fills_by_trade")
    execute("ALTER TABLE fills DROP COLUMN account")
    execute("CREATE UNIQUE INDEX fills_by_trade ON fills (venue, symbol, trade_id, side)")
    execute("ALTER TABLE orders DROP CONSTRAINT orders_group_fkey")
    execute("ALTER TABLE orders DROP CONSTRAINT orders_client_order_id_key")
    execute("ALTER TABLE orders ADD UNIQUE (venue, client_order_id)")
    execute("ALTER TABLE groups DROP CONSTRAINT groups_plan_fkey")
    execute("ALTER TABLE groups DROP CONSTRAINT groups_pkey")
    execute("ALTER TABLE groups ADD PRIMARY KEY (group_id)")
    execute("ALTER TABLE plans DROP CONSTRAINT plans_pkey")
    execute("ALTER TABLE plans ADD PRIMARY KEY (plan_id)")
    execute("ALTER TABLE groups ADD FOREIGN KEY (plan_id) REFERENCES plans (plan_id)")
    execute("ALTER TABLE orders ADD FOREIGN KEY (group_id) REFERENCES groups (group_id)")
    execute("DROP INDEX orders_by_group")
    execute("CREATE INDEX orders_by_group ON orders (group_id, created_at, order_id)")
    execute("DROP INDEX orders_by_venue_order")
    execute("CREATE INDEX orders_by_venue_order ON orders (venue, connector_order_id)")
    execute("UPDATE orderdesk_schema SET version = 5")


def _as_version_4(execute: Callable[..., object], *, postgres: bool = False) -> None:
    """Take a schema 5 database back to schema 4: fills without a side, unique per (venue,
    symbol, trade id). A PostgreSQL schema is first taken back to schema 5 here; a SQLite
    file by :func:`_sqlite_as_version_5` before it is opened."""
    if postgres:
        _postgres_as_version_5(execute)
    execute("DROP INDEX fills_by_trade")
    execute("ALTER TABLE fills DROP COLUMN side")
    if postgres:
        execute(
            "ALTER TABLE fills ADD CONSTRAINT fills_venue_symbol_trade_id_key "
            "UNIQUE (venue, symbol, trade_id)"
        )
    else:
        execute("CREATE UNIQUE INDEX fills_v4_key ON fills (venue, symbol, trade_id)")
    execute("UPDATE orderdesk_schema SET version = 4")


def _as_version_3(execute: Callable[..., object], *, postgres: bool = False) -> None:
    """Take a current database back to schema 3: no statistics figures on the orders."""
    _as_version_4(execute, postgres=postgres)
    for column in _V4_COLUMNS:
        execute(f"ALTER TABLE orders DROP COLUMN {column}")
    execute("UPDATE orderdesk_schema SET version = 3")


def _as_version_2(execute: Callable[..., object], *, postgres: bool = False) -> None:
    """Take a current database back to schema 2 as an older orderdesk left it: no
    last_fill_at, and first_fill_at the first fill applied rather than the earliest."""
    _as_version_3(execute, postgres=postgres)
    execute("UPDATE orders SET first_fill_at = last_fill_at WHERE fill_count > 0")
    execute("ALTER TABLE orders DROP COLUMN last_fill_at")
    execute("UPDATE orderdesk_schema SET version = 2")


def _as_version_1(execute: Callable[..., object], *, postgres: bool = False) -> None:
    """Take a current database back to schema 1: none of the Broker's execution facts."""
    _as_version_2(execute, postgres=postgres)
    for column in ("arrival_price", "sent_at", "acked_at", "first_fill_at", "completed_at"):
        execute(f"ALTER TABLE orders DROP COLUMN {column}")
    execute("UPDATE orderdesk_schema SET version = 1")


_DOWNGRADES: dict[int, Callable[..., None]] = {
    4: _as_version_4,
    3: _as_version_3,
    2: _as_version_2,
    1: _as_version_1,
}


def _what_survives(ledger: Ledger, order_ids: Iterable[str]) -> list[tuple[Any, ...]]:
    """Each order's status, filled quantity, fill count and exact fills."""
    out = []
    for order_id in sorted(order_ids):
        record = ledger.get("acct-1", order_id)
        fills = tuple(exact(fill) for fill in ledger.fills("acct-1", order_id))
        out.append((order_id, record.order.status, record.filled_quantity, fills))
    return out


def _second_account_meets_the_first_ones_ids(ledger: Ledger, first: OrderRecord) -> None:
    """acct-2 records a group under acct-1's group id and a fill under its trade id a0."""
    group = ledger.record_group(make_group("acct-2", group_id=first.order.parent_group_id))
    order = order_in_group(group, quantity="1.0")
    ledger.record_order("acct-2", order, venue="paper", client_order_id=first.client_order_id)
    ledger.apply("acct-2", order.order_id, Filled(fill_of(order, "1.0", "a0")))
    record = ledger.get("acct-2", order.order_id)
    assert (record.order.status, record.fill_count) == (OrderStatus.FILLED, 1)
    assert [f.trade_id for f in ledger.fills("acct-2", order.order_id)] == ["a0"]


@pytest.mark.parametrize("version", [5, 4, 3, 2, 1])
def test_sqlite_upgrade_from_every_earlier_version_keeps_every_fill_and_keys_them_per_account(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / f"v{version}.db"
    clock = ManualClock(T0)
    ledger = Ledger(SqliteStore(path), clock)
    labels = _orders_for_figures(ledger, clock)
    before = _what_survives(ledger, labels)
    journal = ledger.store.journal()
    first = ledger.get("acct-1", min(labels))
    ledger.store.close()
    _sqlite_as_version_5(path)
    if version in _DOWNGRADES:
        with sqlite3.connect(path) as db:
            _DOWNGRADES[version](db.execute)
    assert sqlite_schema.read_version(sqlite3.connect(path)) == version

    upgraded = Ledger(SqliteStore(path), clock)

    assert upgraded.store.schema_version == sqlite_schema.LATEST
    assert _what_survives(upgraded, labels) == before
    assert upgraded.store.journal() == journal
    _second_account_meets_the_first_ones_ids(upgraded, first)


@pytest.mark.postgres
@pytest.mark.parametrize("version", [5, 4, 3, 2, 1])
def test_postgres_upgrade_from_every_earlier_version_keeps_every_fill_and_keys_them_per_account(
    pg_schema: tuple[str, str], version: int
) -> None:
    url, schema = pg_schema
    clock = ManualClock(T0)
    ledger = Ledger(PostgresStore(url, schema=schema), clock)
    labels = _orders_for_figures(ledger, clock)
    before = _what_survives(ledger, labels)
    journal = ledger.store.journal()
    first = ledger.get("acct-1", min(labels))
    ledger.store.close()
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(f"SET search_path TO {schema}")
        if version in _DOWNGRADES:
            _DOWNGRADES[version](old.execute, postgres=True)
        else:
            _postgres_as_version_5(old.execute)
        assert postgres_schema.read_version(old) == version

    upgraded = Ledger(PostgresStore(url, schema=schema), clock)

    assert upgraded.store.schema_version == postgres_schema.LATEST
    assert _what_survives(upgraded, labels) == before
    assert upgraded.store.journal() == journal
    _second_account_meets_the_first_ones_ids(upgraded, first)


def _orders_for_figures(ledger: Ledger, clock: ManualClock) -> dict[str, str]:
    """Record orders with every kind of figure: a filled BUY sent after it was created, a
    partly filled SELL cancelled, a fill with no arrival price, a slippage beyond 2**53
    units, and an order never filled; return their ids by label."""
    sent = recorded_order(ledger, quantity="1.0", side="BUY", arrival_price="100.00")
    clock.advance(timedelta(milliseconds=250))
    ledger.set_submit_state("acct-1", sent.order_id, SubmitState.SENT)
    for number, (price, at) in enumerate((("100.10", 3), ("100.40", 1))):
        fill = fill_of(sent.order, "0.5", f"a{number}", price, T0 + timedelta(seconds=at))
        ledger.apply("acct-1", sent.order_id, Filled(fill))
    part = recorded_order(ledger, quantity="2.0", side="SELL", arrival_price="50.00")
    ledger.apply("acct-1", part.order_id, Filled(fill_of(part.order, "0.7", "b0", "49.95")))
    ledger.apply("acct-1", part.order_id, Cancelled(T0 + timedelta(seconds=5)))
    blind = recorded_order(ledger, quantity="1.0")
    ledger.apply("acct-1", blind.order_id, Filled(fill_of(blind.order, "1.0", "c0", "10")))
    huge = recorded_order(ledger, quantity="1.0", arrival_price="0.000000000000000001")
    ledger.apply("acct-1", huge.order_id, Filled(fill_of(huge.order, "1.0", "d0", "5")))
    idle = recorded_order(ledger, quantity="1.0", arrival_price="100.00")
    orders = (sent, part, blind, huge, idle)
    return {record.order_id: label for label, record in zip("abcde", orders, strict=True)}


# (label, slippage_units, slipped_notional, fill_time_us), worked by hand:
# a: average 100.25 against 100.00 is 25 bps; completed by the fill at T0+3s, sent at
#    T0+0.25s. b: SELL at 49.95 against 50.00 is 10 bps (a cost); cancelled: no fill time.
# c: no arrival price; filled 1 s after it was created (never sent). d: 5e18 x 10**10
#    units is beyond 2**53: no units, but a notional. e: never filled.
_FIGURES = [
    ("a", 25_000_000, 100.25, 2_750_000),
    ("b", 10_000_000, 34.965, None),
    ("c", None, None, 1_000_000),
    ("d", None, 5.0, 1_000_000),
    ("e", None, None, None),
]


def _figures(execute: Callable[..., Any], labels: dict[str, str]) -> list[tuple[Any, ...]]:
    cursor = execute("SELECT order_id, slippage_units, slipped_notional, fill_time_us FROM orders")
    return sorted((labels[row[0]], *row[1:]) for row in cursor.fetchall())


def test_sqlite_orders_carry_their_statistics_figures_and_version_3_gains_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v3.db"
    clock = ManualClock(T0)
    store = SqliteStore(path)
    labels = _orders_for_figures(Ledger(store, clock), clock)
    store.close()
    with sqlite3.connect(path) as db:
        assert _figures(db.execute, labels) == _FIGURES
    _sqlite_as_version_5(path)
    with sqlite3.connect(path) as db:
        _as_version_3(db.execute)

    SqliteStore(path).close()

    with sqlite3.connect(path) as db:
        assert sqlite_schema.read_version(db) == sqlite_schema.LATEST
        assert _figures(db.execute, labels) == _FIGURES


def test_sqlite_version_2_database_gains_its_fills_latest_and_earliest_times(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    store = SqliteStore(path)
    order_id = _filled_out_of_order(Ledger(store, ManualClock(T0)))
    store.close()
    _sqlite_as_version_5(path)
    with sqlite3.connect(path) as old:
        _as_version_2(old.execute)

    migrated = Ledger(SqliteStore(path), ManualClock(T0)).get("acct-1", order_id)

    assert sqlite_schema.read_version(sqlite3.connect(path)) == sqlite_schema.LATEST
    assert migrated.first_fill_at == T0 + timedelta(seconds=2)
    assert migrated.last_fill_at == T0 + timedelta(seconds=9)


def _self_trade(ledger: Ledger) -> tuple[str, str]:
    """Fill a BUY and a SELL order of the account by one venue trade; return their ids."""
    buy = recorded_order(ledger, quantity="1.0", side="BUY")
    sell = recorded_order(ledger, quantity="1.0", side="SELL")
    for record in (buy, sell):
        ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "1.0", "self-1")))
    return buy.order_id, sell.order_id


def _fills_table(execute: Callable[..., Any]) -> list[tuple[Any, ...]]:
    cursor = execute("SELECT seq, fill_id, order_id, trade_id, side FROM fills ORDER BY seq")
    return [tuple(row) for row in cursor.fetchall()]


def test_sqlite_version_4_fills_gain_their_side_and_a_self_trade_is_two_fills(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.db"
    store = SqliteStore(path)
    order_id = _filled_out_of_order(Ledger(store, ManualClock(T0)))
    store.close()
    with sqlite3.connect(path) as db:
        before = _fills_table(db.execute)
    _sqlite_as_version_5(path)
    with sqlite3.connect(path) as db:
        _as_version_4(db.execute)

    ledger = Ledger(SqliteStore(path), ManualClock(T0))
    buy, sell = _self_trade(ledger)

    with sqlite3.connect(path) as db:
        assert sqlite_schema.read_version(db) == sqlite_schema.LATEST
        assert _fills_table(db.execute)[:2] == before
        assert [row[4] for row in before] == ["BUY", "BUY"]
    assert [fill.trade_id for fill in ledger.fills("acct-1", order_id)] == ["t-late", "t-early"]
    assert ledger.get("acct-1", buy).order.status is OrderStatus.FILLED
    assert ledger.get("acct-1", sell).order.status is OrderStatus.FILLED


def test_sqlite_database_from_a_newer_orderdesk_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as newer:
        newer.execute("UPDATE orderdesk_schema SET version = 99")

    with pytest.raises(SchemaVersionError) as refused:
        SqliteStore(path)

    assert str(refused.value) == (
        "database schema version 99 is newer than this orderdesk supports (6); "
        "upgrade orderdesk, do not downgrade the database"
    )
    assert sqlite_schema.read_version(sqlite3.connect(path)) == 99


def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "current.db"
    store = SqliteStore(path)
    ledger = Ledger(store, ManualClock(T0))
    group = ledger.record_group(make_group())
    ledger.record_order("acct-1", order_in_group(group), venue="paper", client_order_id="c")
    before = store.journal()
    store.close()

    reopened = SqliteStore(path)

    assert reopened.journal() == before
    assert Journal(reopened).replay().keys() == {before[-1].order_id}


@pytest.mark.postgres
def test_postgres_version_1_schema_migrates_to_latest_keeping_its_orders(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    record, group_body = _v1_record()
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(f"CREATE SCHEMA {schema}")
        old.execute(f"SET search_path TO {schema}")
        with old.transaction():
            postgres_schema.migrate(old, 0, target=1)
        old.execute(
            "INSERT INTO groups (group_id, account, plan_id, body) VALUES (%s, %s, NULL, %s)",
            (record.order.parent_group_id, "acct-1", group_body),
        )
        row = POSTGRES_CODEC.order_row(record)[:V1_ORDER_COLUMNS]
        old.execute(f"INSERT INTO orders VALUES ({', '.join(['%s'] * len(row))})", row)

    store = PostgresStore(url, schema=schema)
    migrated = Ledger(store, ManualClock(T0)).get("acct-1", record.order_id)

    assert store.schema_version == postgres_schema.LATEST == 6
    assert migrated == record
    assert exact(migrated.order) == exact(record.order)


@pytest.mark.postgres
def test_postgres_version_2_schema_gains_its_fills_latest_and_earliest_times(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    store = PostgresStore(url, schema=schema)
    order_id = _filled_out_of_order(Ledger(store, ManualClock(T0)))
    store.close()
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(f"SET search_path TO {schema}")
        _as_version_2(old.execute, postgres=True)

    upgraded = PostgresStore(url, schema=schema)
    migrated = Ledger(upgraded, ManualClock(T0)).get("acct-1", order_id)

    assert upgraded.schema_version == postgres_schema.LATEST
    assert migrated.first_fill_at == T0 + timedelta(seconds=2)
    assert migrated.last_fill_at == T0 + timedelta(seconds=9)


@pytest.mark.postgres
def test_postgres_orders_carry_their_statistics_figures_and_version_3_gains_them(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    clock = ManualClock(T0)
    store = PostgresStore(url, schema=schema)
    labels = _orders_for_figures(Ledger(store, clock), clock)
    store.close()
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(f"SET search_path TO {schema}")
        assert _figures(old.execute, labels) == _FIGURES
        _as_version_3(old.execute, postgres=True)

    assert PostgresStore(url, schema=schema).schema_version == postgres_schema.LATEST

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"SET search_path TO {schema}")
        assert _figures(db.execute, labels) == _FIGURES


@pytest.mark.postgres
def test_postgres_version_4_fills_gain_their_side_and_a_self_trade_is_two_fills(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    store = PostgresStore(url, schema=schema)
    order_id = _filled_out_of_order(Ledger(store, ManualClock(T0)))
    store.close()
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(f"SET search_path TO {schema}")
        before = _fills_table(old.execute)
        _as_version_4(old.execute, postgres=True)

    upgraded = PostgresStore(url, schema=schema)
    ledger = Ledger(upgraded, ManualClock(T0))
    buy, sell = _self_trade(ledger)

    assert upgraded.schema_version == postgres_schema.LATEST
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"SET search_path TO {schema}")
        assert _fills_table(db.execute)[:2] == before
    assert [fill.trade_id for fill in ledger.fills("acct-1", order_id)] == ["t-late", "t-early"]
    assert ledger.get("acct-1", buy).order.status is OrderStatus.FILLED
    assert ledger.get("acct-1", sell).order.status is OrderStatus.FILLED


@pytest.mark.postgres
def test_postgres_schema_from_a_newer_orderdesk_is_refused(
    pg_schema: tuple[str, str],
) -> None:
    url, schema = pg_schema
    PostgresStore(url, schema=schema).close()
    with psycopg.connect(url, autocommit=True) as newer:
        newer.execute(f"UPDATE {schema}.orderdesk_schema SET version = 7")

    with pytest.raises(SchemaVersionError) as refused:
        PostgresStore(url, schema=schema)

    assert (refused.value.found, refused.value.supported) == (7, 6)
