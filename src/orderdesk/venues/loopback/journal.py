"""The loopback venue's state file: the commands it executed, replayed on restart.

The paper venue is deterministic, so its state is a function of its configuration and the
commands it executed at their times; storing those (never a key or secret) in SQLite is
enough to rebuild everything after a crash or restart.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

__all__ = ["Command", "Journal"]

Command = tuple[datetime, str, str, dict[str, str | None]]
"""(at, kind, account, payload)."""


class Journal:
    """An append-only command log in its own SQLite file (WAL, synchronous FULL)."""

    __slots__ = ("_db",)

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS commands ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " at TEXT NOT NULL, kind TEXT NOT NULL, account TEXT NOT NULL, payload TEXT NOT NULL)"
        )

    def meta(self, key: str) -> str | None:
        """Return a stored setting."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def append(self, at: datetime, kind: str, account: str, payload: dict[str, str | None]) -> None:
        """Durably record one command before it is executed."""
        self._db.execute(
            "INSERT INTO commands (at, kind, account, payload) VALUES (?, ?, ?, ?)",
            (at.isoformat(), kind, account, json.dumps(payload, sort_keys=True)),
        )

    def commands(self) -> Iterator[Command]:
        """Yield every recorded command in order."""
        rows = self._db.execute("SELECT at, kind, account, payload FROM commands ORDER BY seq")
        for at, kind, account, payload in rows.fetchall():
            yield datetime.fromisoformat(at), kind, account, json.loads(payload)

    def close(self) -> None:
        """Close the file."""
        self._db.close()
