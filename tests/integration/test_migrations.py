"""Schema versions: an older database is migrated step by step without losing data; a newer
one is refused with a clear message and left untouched."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from orderdesk.clocks import ManualClock
from orderdesk.errors import SchemaVersionError
from orderdesk.ledger import Journal, Ledger, bookkeeping
from orderdesk.ledger.stores import postgres_schema, sqlite_schema
from orderdesk.ledger.stores.columns import POSTGRES_CODEC, SQLITE_CODEC
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.events import Acked, Filled
from orderdesk.model.records import OrderRecord
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

    assert store.schema_version == sqlite_schema.LATEST == 3
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


def _as_version_2(execute: Callable[..., object]) -> None:
    """Take a current database back to schema 2 as an older orderdesk left it: no
    last_fill_at, and first_fill_at the first fill applied rather than the earliest."""
    execute("UPDATE orders SET first_fill_at = last_fill_at WHERE fill_count > 0")
    execute("ALTER TABLE orders DROP COLUMN last_fill_at")
    execute("UPDATE orderdesk_schema SET version = 2")


def test_sqlite_version_2_database_gains_its_fills_latest_and_earliest_times(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    store = SqliteStore(path)
    order_id = _filled_out_of_order(Ledger(store, ManualClock(T0)))
    store.close()
    with sqlite3.connect(path) as old:
        _as_version_2(old.execute)

    migrated = Ledger(SqliteStore(path), ManualClock(T0)).get("acct-1", order_id)

    assert sqlite_schema.read_version(sqlite3.connect(path)) == 3
    assert migrated.first_fill_at == T0 + timedelta(seconds=2)
    assert migrated.last_fill_at == T0 + timedelta(seconds=9)


def test_sqlite_database_from_a_newer_orderdesk_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as newer:
        newer.execute("UPDATE orderdesk_schema SET version = 99")

    with pytest.raises(SchemaVersionError) as refused:
        SqliteStore(path)

    assert str(refused.value) == (
        "database schema version 99 is newer than this orderdesk supports (3); "
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

    assert store.schema_version == postgres_schema.LATEST == 3
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
        _as_version_2(old.execute)

    upgraded = PostgresStore(url, schema=schema)
    migrated = Ledger(upgraded, ManualClock(T0)).get("acct-1", order_id)

    assert upgraded.schema_version == 3
    assert migrated.first_fill_at == T0 + timedelta(seconds=2)
    assert migrated.last_fill_at == T0 + timedelta(seconds=9)


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

    assert (refused.value.found, refused.value.supported) == (7, 3)
