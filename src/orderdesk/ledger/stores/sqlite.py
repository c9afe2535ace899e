"""The embedded default Store: one SQLite file in WAL mode, every write BEGIN IMMEDIATE.

Durability is ``synchronous=FULL`` unless the caller asks for ``NORMAL`` (a backtest that
may lose its last transactions on power loss, never its consistency). Both settings are
read back after they are set: a database that silently ignored them is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from orderdesk.errors import (
    ConcurrentUpdate,
    IntegrityError,
    LedgerMissing,
    OperationalError,
    SchemaVersionError,
    StoreError,
)
from orderdesk.ledger.stores import sqlite_schema
from orderdesk.ledger.stores.columns import (
    ORDER_COLUMNS,
    SQLITE_CODEC,
    payload_text,
)
from orderdesk.ledger.stores.network import on_network_filesystem
from orderdesk.ledger.stores.sql_reads import SqlReads
from orderdesk.model.decimals import EXACT
from orderdesk.model.enums import Side
from orderdesk.model.execution_rows import ExecutionRow, check_keys
from orderdesk.model.execution_totals import (
    ExecutionTotals,
    totals_of_rows,
    weighted_bps_of_floats,
    weighted_bps_of_units,
)
from orderdesk.model.fill import Fill
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import NewEntry, OrderRecord
from orderdesk.ports import OrderQuery

__all__ = ["TOTALS_SELECT", "SqliteStore", "Synchronous"]

Synchronous = Literal["FULL", "NORMAL"]
_SYNC_LEVEL: Final = {"FULL": 2, "NORMAL": 1}
_BUSY_TIMEOUT_MS: Final = 60_000

# The latest fill's time is on the order row (schema 3): no fill is read.
_EXECUTION_SELECT: Final = (
    "SELECT {key}, status, side, arrival_price, filled_quantity, notional, "
    "COALESCE(sent_at, created_at), CASE WHEN status = 'FILLED' THEN last_fill_at END "
    "FROM orders WHERE {where}"
)
# Per group: the statuses, slippages and fill times as lists, the float sums that decide the
# weighted slippage, and how many orders have a slippage kept as units and at all.
TOTALS_SELECT: Final = (
    "SELECT {key}, group_concat(status), group_concat(slippage_units), "
    "group_concat(fill_time_us), total(slipped_notional * slippage_units), "
    "total(slipped_notional), count(slippage_units), count(slipped_notional) "
    "FROM orders WHERE {where}{group}"
)
_JOURNAL_INSERT: Final = (
    "INSERT INTO journal (at, kind, account, order_id, group_id, plan_id, causation_id, "
    "correlation_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@contextmanager
def _translated() -> Iterator[None]:
    """Turn sqlite3's errors into orderdesk's storage errors, once, here."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        raise IntegrityError(str(error)) from error
    except sqlite3.OperationalError as error:
        raise OperationalError(str(error)) from error
    except sqlite3.DatabaseError as error:
        raise StoreError(str(error)) from error


def _key_expression(names: Sequence[str]) -> str:
    """The SQL of an execution row's key: the named columns joined by char(31)."""
    return " || char(31) || ".join(names) if names else "''"


class _Reads(SqlReads):
    """The reads shared by the store and its transactions (see :class:`SqlReads`)."""

    codec = SQLITE_CODEC

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        with _translated():
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with _translated():
            return self._db.execute(sql, params).fetchall()


_VERSION: Final = ORDER_COLUMNS.index("version")
_ROWS_REMEMBERED: Final = 10_000


@lru_cache(maxsize=64)
def _order_update(changed: tuple[int, ...]) -> str:
    """The UPDATE of the order columns at ``changed`` (indexes into ORDER_COLUMNS)."""
    columns = ", ".join(f"{ORDER_COLUMNS[i]} = ?" for i in changed)
    return f"UPDATE orders SET {columns} WHERE order_id = ? AND version = ?"


class _Transaction(_Reads):
    """One BEGIN IMMEDIATE transaction: the write lock is held from the first statement."""

    def __init__(
        self, connection: sqlite3.Connection, committed: dict[str, tuple[Any, ...]]
    ) -> None:
        super().__init__(connection)
        # Order rows as this transaction read or wrote them, over the rows earlier
        # transactions committed: an update then sets only the columns that differ, so
        # SQLite leaves the indexes of the others alone. A remembered row is used only at
        # the version it was written at, and the version check guards every update (a
        # version's row is unique: every change makes a new one).
        self._rows: dict[str, tuple[Any, ...]] = {}
        self._committed = committed

    def committed_rows(self) -> dict[str, tuple[Any, ...]]:
        """The rows this transaction wrote or read, for the store to remember once it
        commits."""
        return self._rows

    def get_order(self, account: str, order_id: str) -> OrderRecord | None:
        with _translated():
            row = self._db.execute(self._sql["order"], (order_id, account)).fetchone()
        if row is None:
            return None
        self._rows[order_id] = row
        return SQLITE_CODEC.order_record(row)

    def insert_plan(self, plan: TradePlan) -> None:
        with _translated():
            self._db.execute(
                "INSERT INTO plans (plan_id, account, body) VALUES (?, ?, ?)",
                (plan.plan_id, plan.account, plan.model_dump_json()),
            )

    def insert_group(self, group: ExecutionGroup) -> None:
        body = group.model_copy(update={"order_ids": ()}).model_dump_json()
        with _translated():
            self._db.execute(
                "INSERT INTO groups (group_id, account, plan_id, body) VALUES (?, ?, ?, ?)",
                (group.group_id, group.account, group.plan_id, body),
            )

    def insert_order(self, record: OrderRecord) -> None:
        row = SQLITE_CODEC.order_row(record)
        with _translated():
            self._db.execute(self._sql["order_insert"], row)
        self._rows[row[0]] = row

    def update_order(self, record: OrderRecord, expected_version: int) -> None:
        if record.version != expected_version + 1:
            raise ValueError("an updated record's version must be expected_version + 1")
        row = SQLITE_CODEC.order_row(record)
        order_id = row[0]
        old = self._rows.get(order_id) or self._committed.get(order_id)
        if old is not None and old[_VERSION] != expected_version:
            old = None
        if old is None:
            sql, values = self._sql["order_update"], (*row[1:], order_id, expected_version)
        else:
            changed = tuple(i for i in range(1, len(row)) if row[i] != old[i])
            sql = _order_update(changed)
            values = (*(row[i] for i in changed), order_id, expected_version)
        with _translated():
            cursor = self._db.execute(sql, values)
        if cursor.rowcount != 1:
            raise ConcurrentUpdate(f"order {record.order_id} changed since version read")
        self._rows[order_id] = row

    def insert_fill(self, account: str, venue: str, symbol: str, side: Side, fill: Fill) -> None:
        with _translated():
            self._db.execute(
                self._sql["fill_insert"], SQLITE_CODEC.fill_row(account, venue, symbol, side, fill)
            )

    def append(self, entry: NewEntry) -> int:
        values = (
            SQLITE_CODEC.time(entry.at),
            entry.kind.value,
            entry.account,
            entry.order_id,
            entry.group_id,
            entry.plan_id,
            entry.causation_id,
            entry.correlation_id,
            payload_text(entry.payload),
        )
        with _translated():
            cursor = self._db.execute(_JOURNAL_INSERT, values)
        seq = cursor.lastrowid
        assert seq is not None  # an INSERT into a rowid table always sets it
        return seq


def _check_place(path: Path, create: bool) -> None:
    """Say plainly why SQLite could not open ``path`` ("unable to open database file")."""
    if path.is_dir():
        raise OperationalError(
            f"{path} is a directory; name a file in it, e.g. {path / 'orderdesk.db'}"
        )
    if path.is_file():
        return
    if not create:
        raise LedgerMissing(f"no ledger at {path}")
    if not path.parent.is_dir():
        raise OperationalError(f"the directory {path.parent} does not exist")


class SqliteStore(_Reads):
    """A Store on one SQLite file (or ``:memory:``)."""

    def __init__(
        self,
        path: str | Path,
        synchronous: Synchronous = "FULL",
        *,
        upgrade: bool = True,
        create: bool = True,
    ) -> None:
        """Open (creating or migrating) the database at ``path``.

        Raise :class:`~orderdesk.errors.SchemaVersionError` if the file was written by a
        newer orderdesk, or by an older one and ``upgrade`` is false;
        :class:`~orderdesk.errors.LedgerMissing` if ``create`` is false and there is no
        file or no ledger in it;
        :class:`~orderdesk.errors.OperationalError` if it sits on a network filesystem
        (SQLite's locks are unreliable there) or refuses WAL or the durability setting.
        """
        if synchronous not in _SYNC_LEVEL:
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        target = str(path)
        in_memory = target == ":memory:"
        if not in_memory and on_network_filesystem(Path(target)):
            raise OperationalError(
                f"{target} is on a network filesystem; SQLite needs a local disk"
            )
        if not in_memory:
            _check_place(Path(target), create)
        with _translated():
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
            # check_same_thread=False: the store is used by one thread at a time, but not
            # always the one that opened it (the synchronous Broker works on its own thread).
            connection = sqlite3.connect(
                target, isolation_level=None, timeout=60.0, check_same_thread=False
            )
        super().__init__(connection)
        self._committed_rows: dict[str, tuple[Any, ...]] = {}
        self._batch: dict[str, tuple[Any, ...]] | None = None  # its rows, while one is open
        try:
            self._configure(synchronous, in_memory)
            self._version = self._upgrade(upgrade, create)
        except BaseException:
            connection.close()
            raise

    def _configure(self, synchronous: Synchronous, in_memory: bool) -> None:
        db = self._db
        with _translated():
            db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys = ON")
            # A large sort (a statistics report's GROUP BY) may use a second thread.
            db.execute("PRAGMA threads = 2")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            db.execute(f"PRAGMA synchronous = {synchronous}")
            level = db.execute("PRAGMA synchronous").fetchone()[0]
        if not in_memory and str(mode).lower() != "wal":
            raise OperationalError(f"the database refused WAL mode (journal_mode is {mode})")
        if level != _SYNC_LEVEL[synchronous]:
            raise OperationalError(f"the database refused synchronous={synchronous}")

    def _upgrade(self, upgrade: bool, create: bool) -> int:
        with self._write() as db:
            current = sqlite_schema.read_version(db)
            if current == 0 and not create:
                raise LedgerMissing("the database holds no orderdesk ledger")
            if current > sqlite_schema.LATEST or (
                not upgrade and 0 < current < sqlite_schema.LATEST
            ):
                raise SchemaVersionError(current, sqlite_schema.LATEST)
            sqlite_schema.migrate(db, current)
        return sqlite_schema.LATEST

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return self._version

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        with _translated():
            db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            with _translated():
                db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a failed COMMIT can leave the transaction open
                with _translated():
                    db.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """Open a write transaction: committed when the block ends, rolled back on error.

        Inside :meth:`batch` it is a savepoint of the batch's transaction instead: rolled
        back alone on error, committed with the batch."""
        if self._batch is not None:
            with self._savepoint() as db:
                transaction = _Transaction(db, self._committed_rows)
                yield transaction
            self._batch.update(transaction.committed_rows())
            return
        with self._write() as db:
            transaction = _Transaction(db, self._committed_rows)
            yield transaction
        self._remember(transaction.committed_rows())  # reached only once COMMIT succeeded

    def _remember(self, rows: dict[str, tuple[Any, ...]]) -> None:
        committed = self._committed_rows
        if len(committed) + len(rows) > _ROWS_REMEMBERED:
            committed.clear()
        committed.update(rows)

    @contextmanager
    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        with _translated():
            db.execute("SAVEPOINT orderdesk_change")
        try:
            yield db
        except BaseException:
            with _translated():
                db.execute("ROLLBACK TO orderdesk_change")
                db.execute("RELEASE orderdesk_change")
            raise
        with _translated():
            db.execute("RELEASE orderdesk_change")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group every transaction of the block into one commit (the Batching port).

        For a replay against an in-process venue, one commit per simulated step: a crash
        loses the whole block and nothing before it; nothing inside it is durable until
        the block ends. An error raised out of the block rolls all of it back. A batch
        inside a batch is part of the outer one."""
        if self._batch is not None:
            yield
            return
        rows: dict[str, tuple[Any, ...]] = {}
        self._batch = rows
        try:
            with self._write():
                yield
        finally:
            self._batch = None
        self._remember(rows)  # reached only once COMMIT succeeded

    def _begin_read(self) -> None:
        if self._batch is None:  # an open batch's transaction is already one snapshot
            self._db.execute("BEGIN")

    def _end_read(self) -> None:
        if self._batch is None:
            self._db.execute("COMMIT")

    def get_group(self, account: str, group_id: str) -> ExecutionGroup | None:
        """Return the account's group with its ``order_ids``, or ``None``."""
        with _translated():
            self._begin_read()  # one snapshot for both reads
            try:
                group = super().get_group(account, group_id)
                rows = self._db.execute(
                    "SELECT order_id FROM orders WHERE account = ? AND group_id = ? "
                    "ORDER BY created_at, order_id",
                    (account, group_id),
                ).fetchall()
            finally:
                self._end_read()
        if group is None:
            return None
        return group.model_copy(update={"order_ids": tuple(row[0] for row in rows)})

    def integrity_check(self) -> str:
        """Return SQLite's ``PRAGMA integrity_check`` verdict (``"ok"`` when sound)."""
        with _translated():
            return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def execution_rows(
        self, account: str, query: OrderQuery, keys: Sequence[str]
    ) -> Iterator[ExecutionRow]:
        """Yield one plain row per order of ``account`` matching ``query`` (the ExecutionRows
        port), in one statement: a consistent snapshot however long the caller takes."""
        key = _key_expression(check_keys(keys))
        where, params = self._where(account, query)
        return self._rows(_EXECUTION_SELECT.format(key=key, where=where), params)

    def execution_totals(
        self,
        account: str,
        query: OrderQuery,
        keys: Sequence[str],
        *,
        submitted_from: datetime | None = None,
        submitted_until: datetime | None = None,
    ) -> dict[str, ExecutionTotals]:
        """Return the per-group totals of ``account``'s orders matching ``query`` and
        submitted in ``[submitted_from, submitted_until)`` (the ExecutionTotals port), summed
        by SQLite in one snapshot.

        One row per group carries the statuses, slippages and fill times as text lists and
        the float sums of the weighted slippage; the exact notionals are read only for a
        group whose float sums cannot decide its weighted slippage, and every order's row
        only when some slippage is too large to be kept as units or a group's list is longer
        than SQLite's longest string (about 100 million orders).
        """
        names = check_keys(keys)
        key = _key_expression(names)
        where, params = self._where(account, query, submitted_from, submitted_until)
        sql = TOTALS_SELECT.format(key=key, where=where, group=f" GROUP BY {key}" if names else "")
        with _translated():
            self._begin_read()  # one snapshot for every read
            try:
                try:
                    found = self._db.execute(sql, params).fetchall()
                except sqlite3.DataError:  # a list beyond SQLite's longest string (1e9 bytes)
                    found = None
                # Row by row, if a list is too long or a slippage is beyond 2**53 units.
                if found is None or any(row[6] != row[7] for row in found):
                    rows = self._rows(_EXECUTION_SELECT.format(key=key, where=where), params)
                    return totals_of_rows(rows)
                return {
                    row[0]: self._group_totals(row, key, where, params)
                    for row in found
                    if row[1] is not None  # not the empty row of no orders
                }
            finally:
                self._end_read()

    def _group_totals(
        self, row: tuple[Any, ...], key: str, where: str, params: list[Any]
    ) -> ExecutionTotals:
        group, statuses, slippages, fill_times, weighted, notional, count, _ = row
        totals = ExecutionTotals.of_lists(statuses, slippages, fill_times)
        units = totals.slippages
        if units:
            largest = max(-units[0], units[-1])
            figure = weighted_bps_of_floats(weighted, notional, count, largest)
            if figure is None:  # the floats cannot decide it: add the exact notionals
                figure = self._exact_weighted_bps(group, key, where, params)
            totals.weighted_bps = figure
        return totals

    def _exact_weighted_bps(
        self, group: str, key: str, where: str, params: list[Any]
    ) -> Decimal | None:
        weighted = notional = Decimal(0)
        multiply, add = EXACT.multiply, EXACT.add
        for text, units in self._db.execute(
            f"SELECT notional, slippage_units FROM orders WHERE {where} "
            f"AND slippage_units IS NOT NULL AND {key} = ?",
            [*params, group],
        ):
            value = Decimal(text)
            weighted = add(weighted, multiply(value, units))
            notional = add(notional, value)
        return weighted_bps_of_units(weighted, notional)

    def _rows(self, sql: str, params: list[Any]) -> Iterator[Any]:
        with _translated():
            yield from self._db.execute(sql, params)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
