"""The two example orders of docs/concepts.md ("The Order"), exactly as it shows them."""

from __future__ import annotations

from typing import Any

__all__ = ["FILLED_MARKET_ORDER", "NEW_LIMIT_ORDER"]

NEW_LIMIT_ORDER: dict[str, Any] = {
    "order_id": "ORD_20251201_150000_a1b2c3d4",
    "parent_group_id": "EXG_20251201_145955_xyz789",
    "connector_order_id": None,
    "symbol": "BTC_USDT",
    "side": "BUY",
    "order_type": "LIMIT",
    "quantity": "0.5",
    "price": "95000.00",
    "stop_price": None,
    "status": "PENDING",
    "created_at": "2025-12-01T15:00:00Z",
    "updated_at": "2025-12-01T15:00:00Z",
}

FILLED_MARKET_ORDER: dict[str, Any] = {
    "order_id": "ORD_20251201_150100_b2c3d4e5",
    "parent_group_id": "EXG_20251201_150055_abc123",
    "connector_order_id": "binance_order_12345678",
    "symbol": "ETH_USDT",
    "side": "SELL",
    "order_type": "MARKET",
    "quantity": "2.0",
    "price": None,
    "stop_price": None,
    "status": "FILLED",
    "created_at": "2025-12-01T15:01:00Z",
    "updated_at": "2025-12-01T15:01:02Z",
}
