"""Opening stores: URLs, SQLite's durability settings, refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from orderdesk.errors import LedgerMissing, OperationalError
from orderdesk.ledger.stores import open_store
from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.ledger.stores.network import on_network_filesystem
from orderdesk.ledger.stores.paging import decode_cursor
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sqlite import SqliteStore


def test_memory_url_opens_a_memory_store() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)


def test_plain_path_opens_sqlite_in_wal_with_full_sync(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "a.db"))
    assert isinstance(store, SqliteStore)
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_sqlite_url_with_normal_sync_for_backtests(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/b.db?synchronous=normal")
    assert isinstance(store, SqliteStore)
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert (tmp_path / "b.db").exists()


def test_unknown_sqlite_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown sqlite URL options: \\['journal'\\]"):
        open_store(f"sqlite:///{tmp_path}/c.db?journal=off")


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="no store for URL scheme 'mysql'"):
        open_store("mysql://localhost/x")


def test_sqlite_refuses_synchronous_off(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous must be FULL or NORMAL, not 'OFF'"):
        SqliteStore(tmp_path / "d.db", synchronous="OFF")  # type: ignore[arg-type]


def test_unreachable_postgres_fails_without_leaking_the_password() -> None:
    with pytest.raises(OperationalError) as failed:
        PostgresStore("postgresql://trader:s3cret-pw@127.0.0.1:1/orders?connect_timeout=2")
    assert "s3cret-pw" not in str(failed.value)
    assert "s3cret-pw" not in repr(failed.value)


def test_sqlite_journal_is_append_only_in_the_database(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "e.db")
    store._db.execute(
        "INSERT INTO journal (at, kind, account, payload) VALUES ('t', 'k', 'a', '{}')"
    )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._db.execute("UPDATE journal SET kind = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._db.execute("DELETE FROM journal")


def test_network_filesystem_is_detected_from_mountinfo(tmp_path: Path) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "40 22 0:50 / /mnt/share rw,relatime - nfs4 server:/export rw,vers=4.2\n"
    )
    assert on_network_filesystem(Path("/mnt/share/orders.db"), mountinfo) is True
    assert on_network_filesystem(Path("/home/trader/orders.db"), mountinfo) is False


def test_missing_mountinfo_means_unknown_not_network(tmp_path: Path) -> None:
    assert on_network_filesystem(Path("/x/orders.db"), tmp_path / "absent") is False


def test_malformed_cursor_is_refused() -> None:
    with pytest.raises(ValueError, match="is not an order cursor"):
        decode_cursor("2025-12-01T15:00:00+00:00|DROP TABLE")


def test_a_read_only_open_creates_no_sqlite_ledger(tmp_path: Path) -> None:
    missing, empty = tmp_path / "none.db", tmp_path / "empty.db"
    with pytest.raises(LedgerMissing, match="no ledger at"):
        open_store(str(missing), create=False)
    assert not missing.exists()
    sqlite3.connect(empty).close()
    with pytest.raises(LedgerMissing, match="holds no orderdesk ledger"):
        open_store(str(empty), create=False)
    with sqlite3.connect(empty) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    open_store(str(empty)).close()
    assert open_store(str(empty), create=False).schema_version > 0
    with pytest.raises(LedgerMissing, match="memory://"):
        open_store("memory://", create=False)


def test_a_directory_or_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(OperationalError, match="is a directory; name a file in it"):
        open_store(str(tmp_path))
    with pytest.raises(OperationalError, match=f"the directory {tmp_path / 'no'} does not exist"):
        open_store(str(tmp_path / "no" / "x.db"))


def test_a_read_only_open_creates_no_postgresql_ledger(pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    with pytest.raises(LedgerMissing, match="holds no orderdesk ledger"):
        PostgresStore(url, schema=schema, create=False)
    with psycopg.connect(url) as connection:
        found = connection.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    assert found == (0,)
    PostgresStore(url, schema=schema).close()
    assert PostgresStore(url, schema=schema, create=False).schema_version > 0
