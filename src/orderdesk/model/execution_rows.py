"""An order as one plain row for execution statistics: cheap to read a million of.

A row is ``(key, status, side, arrival_price, filled_quantity, notional, submitted_at,
filled_at)``:

* ``key``: the values of the requested key fields (:data:`EXECUTION_KEYS`) joined by
  ``"\\x1f"``, ``""`` for none;
* decimals are canonical text (``decimal_text``: ``"95000.00"``; ``"0"`` before any fill);
* times are UTC ISO-8601 text with microseconds (``"2026-01-05T09:00:00.000000+00:00"``),
  fixed width, so text order is time order;
* ``submitted_at`` is ``sent_at``, or ``created_at`` for an order never sent;
* ``filled_at`` is the latest ``executed_at`` among the fills of a FILLED order (the
  record's ``last_fill_at``), ``None`` for any other status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from orderdesk.model.decimals import decimal_text
from orderdesk.model.enums import OrderStatus
from orderdesk.model.records import OrderRecord

__all__ = ["EXECUTION_KEYS", "KEY_SEPARATOR", "ExecutionRow", "check_keys", "execution_row"]

EXECUTION_KEYS: Final = ("symbol", "side", "order_type", "account", "venue")
"""The order fields an execution row's key may be made of."""
KEY_SEPARATOR: Final = "\x1f"

ExecutionRow = tuple[str, str, str, str | None, str, str, str, str | None]
"""``(key, status, side, arrival_price, filled_quantity, notional, submitted_at, filled_at)``."""


def check_keys(keys: Sequence[str]) -> tuple[str, ...]:
    """Return ``keys`` as a tuple; raise ``ValueError`` naming any unknown field."""
    unknown = [name for name in keys if name not in EXECUTION_KEYS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {', '.join(EXECUTION_KEYS)}")
    return tuple(keys)


def _text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def execution_row(record: OrderRecord, keys: Sequence[str]) -> ExecutionRow:
    """Return ``record`` as an execution row keyed by the fields ``keys`` names."""
    order = record.order
    fields = {
        "symbol": order.symbol,
        "side": order.side.value,
        "order_type": order.order_type.value,
        "account": record.account,
        "venue": record.venue,
    }
    last = record.last_fill_at if order.status is OrderStatus.FILLED else None
    arrival = record.arrival_price
    return (
        KEY_SEPARATOR.join(fields[name] for name in keys),
        order.status.value,
        order.side.value,
        None if arrival is None else decimal_text(arrival),
        decimal_text(record.filled_quantity),
        decimal_text(record.notional),
        _text(record.sent_at or order.created_at),
        None if last is None else _text(last),
    )
