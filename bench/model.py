"""Order construction with full validation, beside its floors; id generation rate.

Run: ``python -m bench.model``. Floors, in one run on the same inputs:
a bare ``dataclass(slots=True)`` with the same fields (no checks at all), and a plain
pydantic model with the same fields and types but none of orderdesk's validators.
Aim: orderdesk's Order costs no more than 2x the plain pydantic model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from bench.timing import best_per_op, machine_line
from orderdesk import Order, OrderStatus, OrderType, Side, TimeInForce, generate_order_id

CREATED = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
INPUT: dict[str, Any] = {
    "parent_group_id": "EXG_20251201_145955_a1b2c3d4",
    "symbol": "BTC_USDT",
    "side": Side.BUY,
    "order_type": OrderType.LIMIT,
    "quantity": Decimal("0.5"),
    "price": Decimal("95000.00"),
    "status": OrderStatus.PENDING,
    "created_at": CREATED,
    "updated_at": CREATED,
}


@dataclass(slots=True)
class BareOrder:
    order_id: str
    parent_group_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    connector_order_id: str | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: datetime | None = None


class PlainOrder(BaseModel):
    order_id: str
    parent_group_id: str
    connector_order_id: str | None = None
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    status: OrderStatus = OrderStatus.PENDING
    created_at: datetime
    updated_at: datetime
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: datetime | None = None


FIXED_ID = "ORD_20251201_150000_a1b2c3d4"


def run(n: int = 100_000) -> list[tuple[str, float, str]]:
    """Time each variant; return rows of (name, seconds per op, note)."""

    def bare(k: int) -> None:
        for _ in range(k):
            BareOrder(order_id=FIXED_ID, **INPUT)

    def plain(k: int) -> None:
        for _ in range(k):
            PlainOrder(order_id=FIXED_ID, **INPUT)

    def ours(k: int) -> None:
        for _ in range(k):
            Order(**INPUT)  # generates its id from created_at

    def ours_given_id(k: int) -> None:
        for _ in range(k):
            Order(order_id=FIXED_ID, **INPUT)

    def ids(k: int) -> None:
        for _ in range(k):
            generate_order_id(CREATED)

    times = {
        "bare dataclass(slots=True)": best_per_op(bare, n),
        "plain pydantic model": best_per_op(plain, n),
        "orderdesk Order (id generated)": best_per_op(ours, n),
        "orderdesk Order (id given)": best_per_op(ours_given_id, n),
        "generate_order_id()": best_per_op(ids, n),
    }
    plain_cost = times["plain pydantic model"]
    rows = []
    for name, cost in times.items():
        note = f"{cost / plain_cost:.2f}x plain pydantic" if "Order (" in name else ""
        if name.startswith("generate"):
            note = f"{1 / cost:,.0f} ids/s"
        rows.append((name, cost, note))
    return rows


def main() -> None:
    """Print the table; the aim is Order <= 2x the plain pydantic model."""
    print(f"Order construction ({machine_line()})")
    rows = run()
    for name, cost, note in rows:
        print(f"  {name:<32} {cost * 1e6:8.2f} us  {note}")
    ratio = rows[2][1] / rows[1][1]
    verdict = "met" if ratio <= 2 else f"missed by {ratio / 2:.2f}x"
    print(f"aim Order <= 2x plain pydantic: {ratio:.2f}x, {verdict}")


if __name__ == "__main__":
    main()
