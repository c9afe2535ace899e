"""Store implementations (memory, SQLite, PostgreSQL) and :func:`open_store`, which picks one
from a URL. Only the composition root and tests should name these.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from orderdesk.errors import LedgerMissing, StoreError
from orderdesk.ports import Store

__all__ = ["open_store"]


def open_store(url: str, *, upgrade: bool = True, create: bool = True) -> Store:
    """Open the store a URL names, creating or migrating its schema.

    With ``create=False`` a ledger that does not exist yet (no SQLite file, a PostgreSQL
    database or schema without orderdesk's tables) is refused
    (:class:`~orderdesk.errors.LedgerMissing`) instead of created: a read creates nothing.

    With ``upgrade=False`` an existing ledger of an older schema is refused
    (:class:`~orderdesk.errors.SchemaVersionError`) instead of migrated: a newer tool must
    not migrate, as a side effect of a read, a ledger an older process still writes.

    * ``memory://`` - in process memory;
    * a file path, or ``sqlite:///relative.db`` / ``sqlite:////absolute.db`` - SQLite, with
      ``?synchronous=NORMAL`` for backtests (default ``FULL``);
    * ``postgresql://user@host:port/dbname`` - PostgreSQL (needs the ``postgres`` extra).
    """
    # Imports are deferred so that opening one kind of store never loads another's driver
    # (psycopg is an optional extra).
    scheme, sep, _ = url.partition("://")
    if not sep:
        from orderdesk.ledger.stores.sqlite import SqliteStore  # noqa: PLC0415

        return SqliteStore(url, upgrade=upgrade, create=create)
    scheme = scheme.lower()
    if scheme == "memory":
        from orderdesk.ledger.stores.memory import MemoryStore  # noqa: PLC0415

        if not create:
            raise LedgerMissing("a memory:// ledger lives only in the process that wrote it")

        return MemoryStore()
    if scheme == "sqlite":
        from orderdesk.ledger.stores.sqlite import SqliteStore  # noqa: PLC0415

        parts = urlsplit(url)
        path = unquote(parts.path[1:])  # sqlite:///x.db -> x.db, sqlite:////x.db -> /x.db
        if not path:
            raise ValueError("a sqlite URL needs a path: sqlite:///orders.db")
        options = parse_qs(parts.query)
        synchronous = options.pop("synchronous", ["FULL"])[-1].upper()
        if options:
            raise ValueError(f"unknown sqlite URL options: {sorted(options)}")
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        return SqliteStore(
            path, "FULL" if synchronous == "FULL" else "NORMAL", upgrade=upgrade, create=create
        )
    if scheme in ("postgresql", "postgres"):
        try:
            from orderdesk.ledger.stores.postgres import PostgresStore  # noqa: PLC0415
        except ModuleNotFoundError as error:
            if not (error.name or "").startswith("psycopg"):
                raise
            raise StoreError(
                "a postgresql:// ledger needs the postgres extra: pip install 'orderdesk[postgres]'"
            ) from error
        return PostgresStore(url, upgrade=upgrade, create=create)
    raise ValueError(f"no store for URL scheme {scheme!r}: use memory, sqlite or postgresql")
