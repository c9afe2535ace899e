"""A Store on PostgreSQL (psycopg 3), for several broker processes sharing one database.

Writes run at REPEATABLE READ with a ``version`` check on every order update: two writers
racing on one order cannot both commit. The loser's serialization failure (or stale
version) surfaces as :class:`~orderdesk.errors.ConcurrentUpdate`, and the Ledger retries
its whole transaction. UNIQUE keys carry idempotency, as in SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg import errors as pg_errors
from psycopg.sql import SQL, Identifier

from orderdesk.errors import (
    ConcurrentUpdate,
    IntegrityError,
    LedgerMissing,
    OperationalError,
    SchemaVersionError,
    StoreError,
)
from orderdesk.ledger.stores import postgres_schema
from orderdesk.ledger.stores.columns import (
    POSTGRES_CODEC,
    payload_text,
)
from orderdesk.ledger.stores.sql_reads import SqlReads
from orderdesk.model.enums import Side
from orderdesk.model.execution_rows import ExecutionRow, check_keys
from orderdesk.model.execution_totals import (
    ExecutionTotals,
    totals_of_rows,
    weighted_bps_of_units,
)
from orderdesk.model.fill import Fill
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import NewEntry, OrderRecord
from orderdesk.ports import OrderQuery

__all__ = ["PostgresStore"]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_MIGRATION_LOCK: Final = 0x6F72646572646B  # any constant: serialises concurrent migrations

# Decimals as their canonical text, times as the fixed-width UTC text of the port.
_UTC_TEXT: Final = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
_EXECUTION_SELECT: Final = (
    "SELECT {key}, status, side, arrival_price::text, filled_quantity::text, notional::text, "
    + _UTC_TEXT.format("COALESCE(sent_at, created_at)")
    + ", CASE WHEN status = 'FILLED' THEN "
    + _UTC_TEXT.format("last_fill_at")
    + " END FROM orders WHERE {where}"
)
# Per group: the statuses, slippages and fill times as lists, the exact sums of the weighted
# slippage, and how many orders have a slippage kept as units and at all.
_TOTALS_SELECT: Final = (
    "SELECT {key}, string_agg(status, ','), string_agg(slippage_units::text, ','), "
    "string_agg(fill_time_us::text, ','), sum(notional * slippage_units), "
    "sum(notional) FILTER (WHERE slippage_units IS NOT NULL), count(slippage_units), "
    "count(slipped_notional) FROM orders WHERE {where} GROUP BY 1"
)
_JOURNAL_INSERT: Final = (
    "INSERT INTO journal (at, kind, account, order_id, group_id, plan_id, causation_id, "
    "correlation_id, payload) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING seq"
)


def _key_expression(names: Sequence[str]) -> str:
    """The SQL of an execution row's key: the named columns joined by chr(31)."""
    return f"concat_ws(chr(31), {', '.join(names)})" if names else "''"


def _group_totals(row: tuple[Any, ...]) -> ExecutionTotals:
    _, statuses, slippages, fill_times, weighted, notional, _, _ = row
    totals = ExecutionTotals.of_lists(statuses, slippages, fill_times)
    if notional is not None:
        totals.weighted_bps = weighted_bps_of_units(weighted, notional)
    return totals


@contextmanager
def _translated() -> Iterator[None]:
    """Turn psycopg's errors into orderdesk's storage errors, once, here."""
    try:
        yield
    except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as error:
        raise ConcurrentUpdate(str(error)) from error
    except psycopg.IntegrityError as error:
        raise IntegrityError(str(error)) from error
    except psycopg.OperationalError as error:
        raise OperationalError(str(error)) from error
    except psycopg.Error as error:
        raise StoreError(str(error)) from error


class _Reads(SqlReads):
    """The reads shared by the store and its transactions (see :class:`SqlReads`)."""

    codec = POSTGRES_CODEC
    mark = "%s"
    status_list = True

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._db = connection

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        with _translated():
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with _translated():
            return self._db.execute(sql, params).fetchall()


class _Transaction(_Reads):
    def _run(self, sql: str, params: tuple[Any, ...]) -> psycopg.Cursor[Any]:
        with _translated():
            return self._db.execute(sql, params)

    def insert_plan(self, plan: TradePlan) -> None:
        self._run(
            "INSERT INTO plans (plan_id, account, body) VALUES (%s, %s, %s)",
            (plan.plan_id, plan.account, plan.model_dump_json()),
        )

    def insert_group(self, group: ExecutionGroup) -> None:
        body = group.model_copy(update={"order_ids": ()}).model_dump_json()
        self._run(
            "INSERT INTO groups (group_id, account, plan_id, body) VALUES (%s, %s, %s, %s)",
            (group.group_id, group.account, group.plan_id, body),
        )

    def insert_order(self, record: OrderRecord) -> None:
        self._run(self._sql["order_insert"], POSTGRES_CODEC.order_row(record))

    def update_order(self, record: OrderRecord, expected_version: int) -> None:
        if record.version != expected_version + 1:
            raise ValueError("an updated record's version must be expected_version + 1")
        row = POSTGRES_CODEC.order_row(record)
        cursor = self._run(self._sql["order_update"], (*row[1:], row[0], expected_version))
        if cursor.rowcount != 1:
            raise ConcurrentUpdate(f"order {record.order_id} changed since version read")

    def insert_fill(self, account: str, venue: str, symbol: str, side: Side, fill: Fill) -> None:
        self._run(
            self._sql["fill_insert"], POSTGRES_CODEC.fill_row(account, venue, symbol, side, fill)
        )

    def append(self, entry: NewEntry) -> int:
        values = (
            POSTGRES_CODEC.time(entry.at), entry.kind.value, entry.account, entry.order_id,
            entry.group_id, entry.plan_id, entry.causation_id, entry.correlation_id,
            payload_text(entry.payload),
        )  # fmt: skip
        row = self._run(_JOURNAL_INSERT, values).fetchone()
        assert row is not None  # INSERT ... RETURNING returns the row
        return int(row[0])


class PostgresStore(_Reads):
    """A Store on a PostgreSQL database (optionally inside one schema of it)."""

    def __init__(
        self, url: str, *, schema: str | None = None, upgrade: bool = True, create: bool = True
    ) -> None:
        """Connect to ``url`` and create or migrate the schema.

        ``schema`` names a PostgreSQL schema (created if missing) to hold the tables, so
        that several ledgers can share a database. Raise
        :class:`~orderdesk.errors.SchemaVersionError` if the schema is newer than this code,
        or older and ``upgrade`` is false; :class:`~orderdesk.errors.LedgerMissing` if
        ``create`` is false and the database (or schema) holds no ledger, creating nothing.
        """
        if schema is not None and _SCHEMA_NAME.fullmatch(schema) is None:
            raise ValueError(f"{schema!r} is not a plain lower-case schema name")
        with _translated():
            connection = psycopg.connect(url, autocommit=True)
        super().__init__(connection)
        try:
            with _translated():
                connection.execute("SET TIME ZONE 'UTC'")
                if schema is not None:
                    if create:
                        connection.execute(
                            SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema))
                        )
                    connection.execute(SQL("SET search_path TO {}").format(Identifier(schema)))
                connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self._version = self._upgrade(upgrade, create)
        except BaseException:
            connection.close()
            raise

    def _upgrade(self, upgrade: bool, create: bool) -> int:
        with _translated(), self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            current = postgres_schema.read_version(self._db)
            if current == 0 and not create:
                raise LedgerMissing("the database holds no orderdesk ledger")
            if current > postgres_schema.LATEST or (
                not upgrade and 0 < current < postgres_schema.LATEST
            ):
                raise SchemaVersionError(current, postgres_schema.LATEST)
            postgres_schema.migrate(self._db, current)
        return postgres_schema.LATEST

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return self._version

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """Open a write transaction: committed when the block ends, rolled back on error."""
        with _translated(), self._db.transaction():
            yield _Transaction(self._db)

    def get_group(self, account: str, group_id: str) -> ExecutionGroup | None:
        """Return the account's group with its ``order_ids``, or ``None``."""
        with _translated(), self._db.transaction():
            group = super().get_group(account, group_id)
            rows = self._db.execute(
                "SELECT order_id FROM orders WHERE account = %s AND group_id = %s "
                "ORDER BY created_at, order_id",
                (account, group_id),
            ).fetchall()
        if group is None:
            return None
        return group.model_copy(update={"order_ids": tuple(row[0] for row in rows)})

    def execution_rows(
        self, account: str, query: OrderQuery, keys: Sequence[str]
    ) -> Iterator[ExecutionRow]:
        """Return one plain row per order of ``account`` matching ``query`` (the
        ExecutionRows port), read in one statement."""
        key = _key_expression(check_keys(keys))
        where, params = self._where(account, query)
        sql = _EXECUTION_SELECT.format(key=key, where=where)
        with _translated():
            rows = self._db.execute(sql, params).fetchall()
        return iter(rows)

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
        by PostgreSQL in one snapshot: one row per group, with exact NUMERIC sums."""
        key = _key_expression(check_keys(keys))
        where, params = self._where(account, query, submitted_from, submitted_until)
        with _translated(), self._db.transaction():
            found = self._db.execute(_TOTALS_SELECT.format(key=key, where=where), params).fetchall()
            if any(row[6] != row[7] for row in found):  # a slippage beyond 2**53 units
                rows = self._db.execute(
                    _EXECUTION_SELECT.format(key=key, where=where), params
                ).fetchall()
                return totals_of_rows(rows)
        return {row[0]: _group_totals(row) for row in found}

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
