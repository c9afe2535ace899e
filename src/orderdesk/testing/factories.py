"""Factories for valid domain objects with sensible defaults, for tests and examples."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orderdesk.model import Fill, Liquidity, Order, OrderType

__all__ = ["T0", "make_fill", "make_order"]

T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
"""A fixed start time (the example orders' time) so tests never read the clock."""


def make_order(**overrides: Any) -> Order:
    """Return a PENDING BUY LIMIT order of 1 BTC_USDT at 100, with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "parent_group_id": "EXG_20251201_145955_a1b2c3d4",
        "symbol": "BTC_USDT",
        "side": "BUY",
        "order_type": OrderType.LIMIT,
        "quantity": Decimal(1),
        "price": Decimal(100),
        "created_at": T0,
        "updated_at": overrides.get("created_at", T0),
    }
    fields.update(overrides)
    return Order(**fields)


def make_fill(order: Order, trade_id: str, quantity: str, price: str = "100", **extra: Any) -> Fill:
    """Return a taker fill of ``order`` under the venue's ``trade_id``."""
    fields: dict[str, Any] = {
        "order_id": order.order_id,
        "trade_id": trade_id,
        "quantity": quantity,
        "price": price,
        "liquidity": Liquidity.TAKER,
        "executed_at": order.created_at,
    }
    fields.update(extra)
    return Fill(**fields)
