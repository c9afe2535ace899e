"""The PostgreSQL schema as ordered migration steps, mirroring the SQLite ones.

Decimals are unconstrained NUMERIC, which keeps each value's scale (``95000.00`` stays
``95000.00``; ``NUMERIC(38, 18)`` would pad it), and times are TIMESTAMPTZ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

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
        quantity NUMERIC NOT NULL,
        price NUMERIC,
        stop_price NUMERIC,
        status TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        time_in_force TEXT NOT NULL,
        expire_at TIMESTAMPTZ,
        submit_state TEXT NOT NULL,
        cancel_requested_at TIMESTAMPTZ,
        version INTEGER NOT NULL,
        filled_quantity NUMERIC NOT NULL,
        notional NUMERIC NOT NULL,
        fill_count INTEGER NOT NULL,
        UNIQUE (venue, client_order_id)
    )""",
    "CREATE INDEX orders_by_status ON orders (account, status, created_at, order_id)",
    "CREATE INDEX orders_by_created ON orders (account, created_at, order_id)",
    "CREATE INDEX orders_by_symbol ON orders (account, symbol, created_at, order_id)",
    "CREATE INDEX orders_by_group ON orders (group_id, created_at, order_id)",
    "CREATE INDEX orders_by_venue_order ON orders (venue, connector_order_id)",
    """CREATE TABLE fills (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        fill_id TEXT NOT NULL UNIQUE,
        order_id TEXT NOT NULL REFERENCES orders (order_id),
        venue TEXT NOT NULL,
        symbol TEXT NOT NULL,
        trade_id TEXT NOT NULL,
        quantity NUMERIC NOT NULL,
        price NUMERIC NOT NULL,
        fee NUMERIC NOT NULL,
        fee_asset TEXT,
        liquidity TEXT,
        executed_at TIMESTAMPTZ NOT NULL,
        UNIQUE (venue, symbol, trade_id)
    )""",
    "CREATE INDEX fills_by_order ON fills (order_id, seq)",
    """CREATE TABLE journal (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
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
    """CREATE FUNCTION orderdesk_journal_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the journal is append-only'; END $$""",
    """CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
       FOR EACH ROW EXECUTE FUNCTION orderdesk_journal_append_only()""",
)

# Room for the facts the Broker records about an execution.
_V2: Final = (
    "ALTER TABLE orders ADD COLUMN arrival_price NUMERIC",
    "ALTER TABLE orders ADD COLUMN sent_at TIMESTAMPTZ",
    "ALTER TABLE orders ADD COLUMN acked_at TIMESTAMPTZ",
    "ALTER TABLE orders ADD COLUMN first_fill_at TIMESTAMPTZ",
    "ALTER TABLE orders ADD COLUMN completed_at TIMESTAMPTZ",
)

# The latest fill's time on the order row, so statistics read no fills; filled in from the
# fills already recorded. first_fill_at becomes the earliest fill's time for rows whose
# fills came out of order.
_V3: Final = (
    "ALTER TABLE orders ADD COLUMN last_fill_at TIMESTAMPTZ",
    """UPDATE orders SET
        last_fill_at = (SELECT MAX(executed_at) FROM fills WHERE fills.order_id = orders.order_id),
        first_fill_at = (SELECT MIN(executed_at) FROM fills WHERE fills.order_id = orders.order_id)
       WHERE fill_count > 0""",
)


def _fill_in_figures(connection: Any) -> None:
    """Compute schema 4's figures for the orders already filled (Python's exact Decimal
    arithmetic, as every later write does), a batch at a time."""
    with connection.cursor(name="orderdesk_figures") as orders, connection.cursor() as update:
        orders.execute(
            "SELECT order_id, side, status, arrival_price, filled_quantity, notional, "
            "COALESCE(sent_at, created_at), last_fill_at FROM orders WHERE fill_count > 0"
        )
        while batch := orders.fetchmany(_BATCH):
            update.executemany(
                "UPDATE orders SET slippage_units = %s, slipped_notional = %s, "
                "fill_time_us = %s WHERE order_id = %s",
                [
                    (
                        *execution_figures(
                            side,
                            status,
                            arrival=arrival,
                            filled=filled,
                            notional=notional,
                            submitted=sent,
                            last_fill=last,
                        ),
                        order_id,
                    )
                    for order_id, side, status, arrival, filled, notional, sent, last in batch
                ],
            )


_BATCH: Final = 10_000

# Each order's statistics figures on its row (orderdesk.model.execution_totals), so that a
# report sums them inside the database.
_V4: Final = (
    "ALTER TABLE orders ADD COLUMN slippage_units BIGINT",
    "ALTER TABLE orders ADD COLUMN slipped_notional DOUBLE PRECISION",
    "ALTER TABLE orders ADD COLUMN fill_time_us BIGINT",
    _fill_in_figures,
)

# A fill is unique per (venue, symbol, trade id, side): a self-trade fills one BUY and one
# SELL order under one venue trade id. Each fill gains its order's side.
_V5: Final = (
    "ALTER TABLE fills ADD COLUMN side TEXT",
    "UPDATE fills SET side = orders.side FROM orders WHERE orders.order_id = fills.order_id",
    "ALTER TABLE fills ALTER COLUMN side SET NOT NULL",
    "ALTER TABLE fills DROP CONSTRAINT fills_venue_symbol_trade_id_key",
    "CREATE UNIQUE INDEX fills_by_trade ON fills (venue, symbol, trade_id, side)",
)

# Every key is an account's: two accounts (or two runs of a paper venue) may each meet the
# same venue trade id, client order id, group id or plan id. Each fill gains its order's
# account.
_V6: Final = (
    "ALTER TABLE orders DROP CONSTRAINT orders_group_id_fkey",
    "ALTER TABLE groups DROP CONSTRAINT groups_plan_id_fkey",
    "ALTER TABLE plans DROP CONSTRAINT plans_pkey",
    "ALTER TABLE plans ADD PRIMARY KEY (account, plan_id)",
    "ALTER TABLE groups DROP CONSTRAINT groups_pkey",
    "ALTER TABLE groups ADD PRIMARY KEY (account, group_id)",
    """ALTER TABLE groups ADD CONSTRAINT groups_plan_fkey
       FOREIGN KEY (account, plan_id) REFERENCES plans (account, plan_id)""",
    "ALTER TABLE orders DROP CONSTRAINT orders_venue_client_order_id_key",
    """ALTER TABLE orders ADD CONSTRAINT orders_client_order_id_key
       UNIQUE (account, venue, client_order_id)""",
    """ALTER TABLE orders ADD CONSTRAINT orders_group_fkey
       FOREIGN KEY (account, group_id) REFERENCES groups (account, group_id)""",
    "DROP INDEX orders_by_group",
    "CREATE INDEX orders_by_group ON orders (account, group_id, created_at, order_id)",
    "DROP INDEX orders_by_venue_order",
    "CREATE INDEX orders_by_venue_order ON orders (account, venue, connector_order_id)",
    "ALTER TABLE fills ADD COLUMN account TEXT",
    "UPDATE fills SET account = orders.account FROM orders WHERE orders.order_id = fills.order_id",
    "ALTER TABLE fills ALTER COLUMN account SET NOT NULL",
    "DROP INDEX fills_by_trade",
    "CREATE UNIQUE INDEX fills_by_trade ON fills (account, venue, symbol, trade_id, side)",
)

Step = str | Callable[[Any], None]
MIGRATIONS: Final[tuple[tuple[Step, ...], ...]] = (_V1, _V2, _V3, _V4, _V5, _V6)
"""``MIGRATIONS[n - 1]`` takes the schema from version ``n - 1`` to ``n``: statements, or
steps run on the connection."""
LATEST: Final = len(MIGRATIONS)


def read_version(connection: Any) -> int:
    """Return the schema version in the connection's search path (0 when empty)."""
    exists = connection.execute("SELECT to_regclass('orderdesk_schema')").fetchone()[0]
    if exists is None:
        return 0
    return int(connection.execute("SELECT version FROM orderdesk_schema").fetchone()[0])


def migrate(connection: Any, current: int, target: int = LATEST) -> None:
    """Run steps ``current + 1 .. target`` inside the caller's transaction."""
    for version in range(current + 1, target + 1):
        for step in MIGRATIONS[version - 1]:
            if isinstance(step, str):
                connection.execute(step)
            else:
                step(connection)
        connection.execute("UPDATE orderdesk_schema SET version = %s", (version,))
