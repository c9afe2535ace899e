"""Every Store passes the one contract suite of orderdesk.testing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from orderdesk.clocks import ManualClock
from orderdesk.ledger import Journal, Ledger, replay
from orderdesk.ledger.stores import postgres_schema, sqlite_schema
from orderdesk.ledger.stores.columns import SQLITE_CODEC
from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sql_reads import ORDER_SELECT
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.events import Acked, Filled
from orderdesk.model.records import SubmitState
from orderdesk.ports import OrderQuery, Store
from orderdesk.testing.ledger_kit import T0, fill_of, recorded_order
from orderdesk.testing.store_contract import StoreContract


def _sqlite_stored_version(path: Path) -> int:
    """The version in the file's own schema table, read on a connection of its own."""
    db = sqlite3.connect(path)
    try:
        (version,) = db.execute("SELECT version FROM orderdesk_schema WHERE id = 1").fetchone()
    finally:
        db.close()
    return int(version)


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = MemoryStore()
        yield store
        store.close()

    @pytest.fixture
    def schema_versions(self) -> tuple[int, int]:
        # Nothing is stored: the memory store stands for the SQL stores' current schema, so
        # both must be at the version it reports.
        assert sqlite_schema.LATEST == postgres_schema.LATEST
        return sqlite_schema.LATEST, postgres_schema.LATEST


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqliteStore(tmp_path / "ledger.db")
        yield store
        store.close()

    @pytest.fixture
    def schema_versions(self, store: Store, tmp_path: Path) -> tuple[int, int]:
        return _sqlite_stored_version(tmp_path / "ledger.db"), sqlite_schema.LATEST


def test_sqlite_totals_beyond_its_longest_string_are_summed_row_by_row(tmp_path: Path) -> None:
    """A group's list longer than SQLite's longest string (about 1e9 bytes, here made 1,000)
    is summed from the order rows instead: the same totals."""
    store = SqliteStore(tmp_path / "ledger.db")
    clock = ManualClock(T0)
    ledger = Ledger(store, clock)
    for number in range(300):
        record = recorded_order(ledger, quantity="1", arrival_price="100.00")
        fill = fill_of(record.order, "1", f"t{number}", f"{100 + number / 100:.2f}")
        ledger.apply("acct-1", record.order_id, Filled(fill))
    expected = ledger.execution_totals("acct-1", OrderQuery(), ("side",))
    store._db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000)
    with pytest.raises(sqlite3.DataError):  # the lists, as one string each, are too long
        store._db.execute("SELECT group_concat(status) FROM orders").fetchall()

    totals = ledger.execution_totals("acct-1", OrderQuery(), ("side",))

    assert totals == expected
    assert totals["BUY"].outcomes == {"FILLED": 300}
    assert totals["BUY"].slippages[:3] == [0, 1_000_000, 2_000_000]
    store.close()


class TestSqliteNormalStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqliteStore(tmp_path / "ledger.db", synchronous="NORMAL")
        yield store
        store.close()

    @pytest.fixture
    def schema_versions(self, store: Store, tmp_path: Path) -> tuple[int, int]:
        return _sqlite_stored_version(tmp_path / "ledger.db"), sqlite_schema.LATEST


@pytest.mark.postgres
class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, pg_schema: tuple[str, str]) -> Iterator[Store]:
        url, schema = pg_schema
        store = PostgresStore(url, schema=schema)
        yield store
        store.close()

    @pytest.fixture
    def schema_versions(self, store: Store, pg_schema: tuple[str, str]) -> tuple[int, int]:
        url, schema = pg_schema
        with psycopg.connect(url, autocommit=True) as connection:
            query = SQL("SELECT version FROM {}.orderdesk_schema").format(Identifier(schema))
            row = connection.execute(query).fetchone()
        assert row is not None
        return int(row[0]), postgres_schema.LATEST


def test_sqlite_updates_of_changed_columns_leave_the_row_a_full_write_leaves(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "ledger.db")
    ledger = Ledger(store, ManualClock(T0))
    record = recorded_order(ledger)
    order_id, later = record.order_id, T0 + timedelta(seconds=1)
    ledger.set_submit_state("acct-1", order_id, SubmitState.SENT)
    ledger.request_cancel("acct-1", order_id)
    ledger.apply_all(
        "acct-1",
        order_id,
        [
            Acked(later, "V-1"),
            Filled(fill_of(record.order, "0.4", "t-1", "100.10")),
            Filled(fill_of(record.order, "0.6", "t-2", "100.20")),
        ],
    )
    row = store._db.execute(f"{ORDER_SELECT} WHERE order_id = ?", (order_id,)).fetchone()
    final = ledger.get("acct-1", order_id)
    assert final.version == 6
    assert row == SQLITE_CODEC.order_row(final)
    assert SQLITE_CODEC.order_row(final) == SQLITE_CODEC.order_row(
        replay(Journal(store).entries())[order_id].record
    )
    store.close()
