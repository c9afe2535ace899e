"""Cursors for keyset paging over orders: the (created_at, order_id) of the last row seen."""

from __future__ import annotations

from datetime import datetime

from orderdesk.model.ids import ORDER_ID
from orderdesk.model.order import Order
from orderdesk.model.timestamps import require_utc

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(order: Order) -> str:
    """Return the cursor that continues after ``order``."""
    return f"{order.created_at.isoformat(timespec='microseconds')}|{order.order_id}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Return the (created_at, order_id) a cursor names; raise ``ValueError`` if malformed."""
    created, _, order_id = cursor.partition("|")
    if ORDER_ID.fullmatch(order_id) is None:
        raise ValueError(f"{cursor!r} is not an order cursor")
    return require_utc(datetime.fromisoformat(created)), order_id
