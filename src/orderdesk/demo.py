"""The README's run command: build, validate and walk the orders of 004 §7.

The CLI issue replaces this with a paper-trading session; until then it shows the domain.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orderdesk.model import (
    Acked,
    Fill,
    Filled,
    Liquidity,
    Order,
    OrderEvent,
    OrderFills,
    apply,
)

NEW_LIMIT_ORDER = {
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

FILLED_MARKET_ORDER = {
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


def run_demo() -> int:
    """Validate 004's two example orders, then take the first through its lifecycle."""
    for title, raw in (
        ("New limit order", NEW_LIMIT_ORDER),
        ("Filled market order", FILLED_MARKET_ORDER),
    ):
        order = Order.model_validate(raw)
        print(f"== {title} (004 §7), validated ==")
        print(json.dumps(order.model_dump(mode="json"), indent=2))
    order = Order.model_validate(NEW_LIMIT_ORDER)
    fills = OrderFills(order.quantity)
    start = order.created_at
    steps: list[OrderEvent] = [
        Acked(at=start + timedelta(milliseconds=40), connector_order_id="paper_1"),
        Filled(_fill(order, "t1", "0.2", "94999.50", start + timedelta(seconds=3))),
        Filled(_fill(order, "t1", "0.2", "94999.50", start + timedelta(seconds=3))),
        Filled(_fill(order, "t2", "0.3", "95000.00", start + timedelta(seconds=5))),
    ]
    print(f"\n== Lifecycle of {order.order_id} ==")
    for event in steps:
        step = apply(order, fills, event)
        note = " (duplicate: no-op)" if step.duplicate else ""
        print(f"{step.kind.value:>16}: {step.before.value} -> {step.after.value}{note}")
    summary = fills.summary()
    print(
        f"filled {summary.filled_quantity} of {order.quantity} at an average of "
        f"{summary.average_fill_price} ({summary.fill_count} fills); status {order.status.value}"
    )
    return 0


def _fill(order: Order, trade_id: str, quantity: str, price: str, at: datetime) -> Fill:
    return Fill(
        order_id=order.order_id,
        trade_id=trade_id,
        quantity=quantity,
        price=price,
        fee=Decimal("0.0001") * Decimal(quantity),
        fee_asset="BTC",
        liquidity=Liquidity.MAKER,
        executed_at=at.astimezone(UTC),
    )
