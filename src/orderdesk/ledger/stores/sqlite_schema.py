"""The SQLite schema as ordered migration steps; the database records which it has.

Step ``n`` takes a database from version ``n - 1`` to ``n``. Steps only add: a migration
never drops or rewrites data. Never edit a released step; add the next one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Final

from orderdesk.model.execution_totals import execution_figures

__all__ = ["LATEST", "MIGRATIONS", "migrate", "read_version"]

_V1: Final = (
    """CREATE TABLE orderdesk_schema (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    )""",
    "INSERT INTO orderdesk_schema (id, version) VALUES (1, 0)",
    """CREATE TABLE plans (
        plan_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    """CREATE TABLE groups (
        group_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        plan_id TEXT REFERENCES plans (plan_id),
        body TEXT NOT NULL
    )""",
    """CREATE TABLE orders (
        order_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        venue TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        group_id TEXT NOT NULL REFERENCES groups (group_id),
        plan_id TEXT,
        connector_order_id TEXT,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        order_type TEXT NOT NULL,
        quantity TEXT NOT NULL,
        price TEXT,
        stop_price TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        time_in_force TEXT NOT NULL,
        expire_at TEXT,
        submit_state TEXT NOT NULL,
        cancel_requested_at TEXT,
        version INTEGER NOT NULL,
        filled_quantity TEXT NOT NULL,
        notional TEXT NOT NULL,
        fill_count INTEGER NOT NULL,
        UNIQUE (venue, client_order_id)
    )""",
    "CREATE INDEX orders_by_status ON orders (account, status, created_at, order_id)",
    "CREATE INDEX orders_by_created ON orders (account, created_at, order_id)",
    "CREATE INDEX orders_by_symbol ON orders (account, symbol, created_at, order_id)",
    "CREATE INDEX orders_by_group ON orders (group_id, created_at, order_id)",
    "CREATE INDEX orders_by_venue_order ON orders (venue, connector_order_id)",
    """CREATE TABLE fills (
        seq INTEGER PRIMARY KEY,
        fill_id TEXT NOT NULL UNIQUE,
        order_id TEXT NOT NULL REFERENCES orders (order_id),
        venue TEXT NOT NULL,
        symbol TEXT NOT NULL,
        trade_id TEXT NOT NULL,
        quantity TEXT NOT NULL,
        price TEXT NOT NULL,
        fee TEXT NOT NULL,
        fee_asset TEXT,
        liquidity TEXT,
        executed_at TEXT NOT NULL,
        UNIQUE (venue, symbol, trade_id)
    )""",
    "CREATE INDEX fills_by_order ON fills (order_id, seq)",
    """CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        account TEXT NOT NULL,
        order_id TEXT,
        group_id TEXT,
        plan_id TEXT,
        causation_id TEXT,
        correlation_id TEXT,
        payload TEXT NOT NULL
    )""",
    "CREATE INDEX journal_by_order ON journal (order_id, seq)",
    # Append-only is enforced by the database, not just by convention.
    """CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
       BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
    """CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
       BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END""",
)

# Room for the facts the Broker records about an execution.
_V2: Final = (
    "ALTER TABLE orders ADD COLUMN arrival_price TEXT",
    "ALTER TABLE orders ADD COLUMN sent_at TEXT",
    "ALTER TABLE orders ADD COLUMN acked_at TEXT",
    "ALTER TABLE orders ADD COLUMN first_fill_at TEXT",
    "ALTER TABLE orders ADD COLUMN completed_at TEXT",
)

# The latest fill's time on the order row, so statistics read no fills; filled in from the
# fills already recorded (executed_at is fixed-width UTC text: the text's MAX is the time's).
# first_fill_at becomes the earliest fill's time for rows whose fills came out of order.
_V3: Final = (
    "ALTER TABLE orders ADD COLUMN last_fill_at TEXT",
    """UPDATE orders SET
        last_fill_at = (SELECT MAX(executed_at) FROM fills WHERE fills.order_id = orders.order_id),
        first_fill_at = (SELECT MIN(executed_at) FROM fills WHERE fills.order_id = orders.order_id)
       WHERE fill_count > 0""",
)


def _fill_in_figures(connection: sqlite3.Connection) -> None:
    """Compute schema 4's figures for the orders already filled (Python's exact Decimal
    arithmetic, as every later write does)."""
    rows = connection.execute(
        "SELECT order_id, side, status, arrival_price, filled_quantity, notional, "
        "COALESCE(sent_at, created_at), last_fill_at FROM orders WHERE fill_count > 0"
    ).fetchall()
    parse = datetime.fromisoformat
    connection.executemany(
        "UPDATE orders SET slippage_units = ?, slipped_notional = ?, fill_time_us = ? "
        "WHERE order_id = ?",
        (
            (
                *execution_figures(
                    side,
                    status,
                    arrival=None if arrival is None else Decimal(arrival),
                    filled=Decimal(filled),
                    notional=Decimal(notional),
                    submitted=parse(submitted),
                    last_fill=None if last is None else parse(last),
                ),
                order_id,
            )
            for order_id, side, status, arrival, filled, notional, submitted, last in rows
        ),
    )


# Each order's statistics figures on its row (orderdesk.model.execution_totals), so that a
# report sums them inside the database.
_V4: Final = (
    "ALTER TABLE orders ADD COLUMN slippage_units INTEGER",
    "ALTER TABLE orders ADD COLUMN slipped_notional REAL",
    "ALTER TABLE orders ADD COLUMN fill_time_us INTEGER",
    _fill_in_figures,
)

# A fill is unique per (venue, symbol, trade id, side): a self-trade fills one BUY and one
# SELL order under one venue trade id. SQLite cannot drop a table's UNIQUE constraint, so
# the fills are copied into a new table with their order's side (seq and every value kept)
# and the key becomes an index.
_V5: Final = (
    """CREATE TABLE fills_v5 (
        seq INTEGER PRIMARY KEY,
        fill_id TEXT NOT NULL UNIQUE,
        order_id TEXT NOT NULL REFERENCES orders (order_id),
        venue TEXT NOT NULL,
        symbol TEXT NOT NULL,
        trade_id TEXT NOT NULL,
        quantity TEXT NOT NULL,
        price TEXT NOT NULL,
        fee TEXT NOT NULL,
        fee_asset TEXT,
        liquidity TEXT,
        executed_at TEXT NOT NULL,
        side TEXT NOT NULL
    )""",
    """INSERT INTO fills_v5 (seq, fill_id, order_id, venue, symbol, trade_id, quantity, price,
        fee, fee_asset, liquidity, executed_at, side)
       SELECT fills.seq, fill_id, fills.order_id, fills.venue, fills.symbol, trade_id,
        fills.quantity, fills.price, fee, fee_asset, liquidity, executed_at, orders.side
       FROM fills JOIN orders ON orders.order_id = fills.order_id ORDER BY fills.seq""",
    "DROP TABLE fills",
    "ALTER TABLE fills_v5 RENAME TO fills",
    "CREATE INDEX fills_by_order ON fills (order_id, seq)",
    "CREATE UNIQUE INDEX fills_by_trade ON fills (venue, symbol, trade_id, side)",
)

# Every key is an account's: two accounts (or two runs of a paper venue) may each meet the
# same venue trade id, client order id, group id or plan id. SQLite cannot change a table's
# keys, so plans, groups, orders and fills are copied into new tables (every value kept)
# and the old ones dropped children first, so that no foreign key ever dangles; renaming a
# new table rewrites the references to it.
_V6: Final = (
    """CREATE TABLE plans_v6 (
        plan_id TEXT NOT NULL,
        account TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (account, plan_id)
    )""",
    """CREATE TABLE groups_v6 (
        group_id TEXT NOT NULL,
        account TEXT NOT NULL,
        plan_id TEXT,
        body TEXT NOT NULL,
        PRIMARY KEY (account, group_id),
        FOREIGN KEY (account, plan_id) REFERENCES plans_v6 (account, plan_id)
    )""",
    """CREATE TABLE orders_v6 (
        order_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        venue TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        plan_id TEXT,
        connector_order_id TEXT,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        order_type TEXT NOT NULL,
        quantity TEXT NOT NULL,
        price TEXT,
        stop_price TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        time_in_force TEXT NOT NULL,
        expire_at TEXT,
        submit_state TEXT NOT NULL,
        cancel_requested_at TEXT,
        version INTEGER NOT NULL,
        filled_quantity TEXT NOT NULL,
        notional TEXT NOT NULL,
        fill_count INTEGER NOT NULL,
        arrival_price TEXT,
        sent_at TEXT,
        acked_at TEXT,
        first_fill_at TEXT,
        completed_at TEXT,
        last_fill_at TEXT,
        slippage_units INTEGER,
        slipped_notional REAL,
        fill_time_us INTEGER,
        UNIQUE (account, venue, client_order_id),
        FOREIGN KEY (account, group_id) REFERENCES groups_v6 (account, group_id)
    )""",
    """CREATE TABLE fills_v6 (
        seq INTEGER PRIMARY KEY,
        fill_id TEXT NOT NULL UNIQUE,
        order_id TEXT NOT NULL REFERENCES orders_v6 (order_id),
        venue TEXT NOT NULL,
        symbol TEXT NOT NULL,
        trade_id TEXT NOT NULL,
        quantity TEXT NOT NULL,
        price TEXT NOT NULL,
        fee TEXT NOT NULL,
        fee_asset TEXT,
        liquidity TEXT,
        executed_at TEXT NOT NULL,
        side TEXT NOT NULL,
        account TEXT NOT NULL
    )""",
    "INSERT INTO plans_v6 (plan_id, account, body) SELECT plan_id, account, body FROM plans",
    """INSERT INTO groups_v6 (group_id, account, plan_id, body)
       SELECT group_id, account, plan_id, body FROM groups""",
    """INSERT INTO orders_v6 SELECT order_id, account, venue, client_order_id, group_id,
        plan_id, connector_order_id, symbol, side, order_type, quantity, price, stop_price,
        status, created_at, updated_at, time_in_force, expire_at, submit_state,
        cancel_requested_at, version, filled_quantity, notional, fill_count, arrival_price,
        sent_at, acked_at, first_fill_at, completed_at, last_fill_at, slippage_units,
        slipped_notional, fill_time_us
       FROM orders""",
    """INSERT INTO fills_v6 (seq, fill_id, order_id, venue, symbol, trade_id, quantity, price,
        fee, fee_asset, liquidity, executed_at, side, account)
       SELECT fills.seq, fill_id, fills.order_id, fills.venue, fills.symbol, trade_id,
        fills.quantity, fills.price, fee, fee_asset, liquidity, executed_at, fills.side,
        orders.account
       FROM fills JOIN orders ON orders.order_id = fills.order_id ORDER BY fills.seq""",
    "DROP TABLE fills",
    "DROP TABLE orders",
    "DROP TABLE groups",
    "DROP TABLE plans",
    "ALTER TABLE plans_v6 RENAME TO plans",
    "ALTER TABLE groups_v6 RENAME TO groups",
    "ALTER TABLE orders_v6 RENAME TO orders",
    "ALTER TABLE fills_v6 RENAME TO fills",
    "CREATE INDEX orders_by_status ON orders (account, status, created_at, order_id)",
    "CREATE INDEX orders_by_created ON orders (account, created_at, order_id)",
    "CREATE INDEX orders_by_symbol ON orders (account, symbol, created_at, order_id)",
    "CREATE INDEX orders_by_group ON orders (account, group_id, created_at, order_id)",
    "CREATE INDEX orders_by_venue_order ON orders (account, venue, connector_order_id)",
    "CREATE INDEX fills_by_order ON fills (order_id, seq)",
    "CREATE UNIQUE INDEX fills_by_trade ON fills (account, venue, symbol, trade_id, side)",
)

Step = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: Final[tuple[tuple[Step, ...], ...]] = (_V1, _V2, _V3, _V4, _V5, _V6)
"""``MIGRATIONS[n - 1]`` takes the schema from version ``n - 1`` to ``n``: statements, or
steps run on the connection."""
LATEST: Final = len(MIGRATIONS)


def read_version(connection: sqlite3.Connection) -> int:
    """Return the database's schema version (0 for an empty database)."""
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'orderdesk_schema'"
    ).fetchone()
    if exists is None:
        return 0
    row = connection.execute("SELECT version FROM orderdesk_schema WHERE id = 1").fetchone()
    return int(row[0])


def migrate(connection: sqlite3.Connection, current: int, target: int = LATEST) -> None:
    """Run steps ``current + 1 .. target`` inside the caller's write transaction."""
    for version in range(current + 1, target + 1):
        for step in MIGRATIONS[version - 1]:
            if isinstance(step, str):
                connection.execute(step)
            else:
                step(connection)
        connection.execute("UPDATE orderdesk_schema SET version = ? WHERE id = 1", (version,))
