"""Every Store passes the one contract suite of orderdesk.testing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.ports import Store
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
