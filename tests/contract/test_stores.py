"""Every Store passes the one contract suite of orderdesk.testing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderdesk.clocks import ManualClock
from orderdesk.ledger import Journal, Ledger, replay
from orderdesk.ledger.stores.columns import SQLITE_CODEC
from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sqlite import _ORDER_SELECT, SqliteStore
from orderdesk.model.events import Acked, Filled
from orderdesk.model.records import SubmitState
from orderdesk.ports import Store
from orderdesk.testing.ledger_kit import T0, fill_of, recorded_order
from orderdesk.testing.store_contract import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = MemoryStore()
        yield store
        store.close()


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqliteStore(tmp_path / "ledger.db")
        yield store
        store.close()


class TestSqliteNormalStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqliteStore(tmp_path / "ledger.db", synchronous="NORMAL")
        yield store
        store.close()


@pytest.mark.postgres
class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, pg_schema: tuple[str, str]) -> Iterator[Store]:
        url, schema = pg_schema
        store = PostgresStore(url, schema=schema)
        yield store
        store.close()


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
    row = store._db.execute(f"{_ORDER_SELECT} WHERE order_id = ?", (order_id,)).fetchone()
    final = ledger.get("acct-1", order_id)
    assert final.version == 6
    assert row == SQLITE_CODEC.order_row(final)
    assert SQLITE_CODEC.order_row(final) == SQLITE_CODEC.order_row(
        replay(Journal(store).entries())[order_id].record
    )
    store.close()
