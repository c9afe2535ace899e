"""The rules an order's prices and time in force obey, wherever the order is written down.

The :class:`~orderdesk.model.order.Order` checks them in its model validator and the
:class:`~orderdesk.model.venue.SubmitRequest` on construction: the same combinations are
refused with the same words (a ``ValueError``, which pydantic wraps in its
``ValidationError`` for the Order).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from orderdesk.model.enums import OrderType, TimeInForce

__all__ = ["check_prices", "check_time_in_force"]


def check_prices(order_type: OrderType, price: Decimal | None, stop_price: Decimal | None) -> None:
    """Raise ``ValueError`` unless the order type has exactly its prices: ``MARKET`` none,
    ``LIMIT`` a price, ``STOP_LIMIT`` a price and a stop price."""
    if order_type is OrderType.MARKET:
        if price is not None or stop_price is not None:
            raise ValueError("a MARKET order takes neither price nor stop_price")
    elif price is None:
        raise ValueError(f"a {order_type.value} order needs a price")
    elif order_type is OrderType.LIMIT and stop_price is not None:
        raise ValueError("stop_price is only for STOP_LIMIT orders")
    elif order_type is OrderType.STOP_LIMIT and stop_price is None:
        raise ValueError("a STOP_LIMIT order needs a stop_price")


def check_time_in_force(
    time_in_force: TimeInForce, expire_at: datetime | None, created_at: datetime | None = None
) -> None:
    """Raise ``ValueError`` unless ``expire_at`` is given for ``GTD`` only, timezone-aware,
    and later than ``created_at`` when that is known."""
    if time_in_force is TimeInForce.GTD:
        if expire_at is None:
            raise ValueError("a GTD order needs expire_at")
        if expire_at.tzinfo is None or expire_at.utcoffset() is None:
            raise ValueError("expire_at must be timezone-aware")
        if created_at is not None and expire_at <= created_at:
            raise ValueError("expire_at must be later than created_at")
    elif expire_at is not None:
        raise ValueError("expire_at is only for GTD orders")
