"""Build valid plans, groups, orders and fills recorded in a Ledger, a line each."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from orderdesk.ledger import Ledger
from orderdesk.model.fill import Fill
from orderdesk.model.ids import (
    generate_fill_id,
    generate_group_id,
    generate_order_id,
    generate_plan_id,
)
from orderdesk.model.order import Order
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import OrderRecord
from orderdesk.testing.factories import T0

__all__ = ["T0", "fill_of", "make_group", "make_plan", "order_in_group", "recorded_order"]


_client_ids = count(1)


def make_plan(account: str = "acct-1", at: datetime = T0, **fields: Any) -> TradePlan:
    """Return a BUY BTC_USDT plan of ``account``; ``fields`` override."""
    values: dict[str, Any] = {
        "plan_id": generate_plan_id(at),
        "account": account,
        "strategy": "kit",
        "symbol": "BTC_USDT",
        "side": "BUY",
        "created_at": at,
    }
    return TradePlan.model_validate(values | fields)


def make_group(
    account: str = "acct-1", plan: TradePlan | None = None, at: datetime = T0, **fields: Any
) -> ExecutionGroup:
    """Return a BUY BTC_USDT group of ``account`` (under ``plan`` if given)."""
    values: dict[str, Any] = {
        "group_id": generate_group_id(at),
        "plan_id": None if plan is None else plan.plan_id,
        "account": account,
        "strategy": "kit",
        "symbol": "BTC_USDT",
        "side": "BUY",
        "created_at": at,
    }
    return ExecutionGroup.model_validate(values | fields)


def order_in_group(group: ExecutionGroup, at: datetime = T0, **fields: Any) -> Order:
    """Return a PENDING LIMIT BUY 1.0 @ 100.00 order in ``group``; ``fields`` override."""
    values: dict[str, Any] = {
        "order_id": generate_order_id(at),
        "parent_group_id": group.group_id,
        "symbol": group.symbol,
        "side": group.side,
        "order_type": "LIMIT",
        "quantity": "1.0",
        "price": "100.00",
        "created_at": at,
        "updated_at": fields.get("created_at", at),
    }
    return Order.model_validate(values | fields)


def fill_of(
    order: Order,
    quantity: str | Decimal,
    trade_id: str,
    price: str | Decimal = "100.00",
    at: datetime | None = None,
    **fields: Any,
) -> Fill:
    """Return a fill of ``order`` (at ``order.created_at`` + 1 s unless given)."""
    executed = order.created_at + timedelta(seconds=1) if at is None else at
    values: dict[str, Any] = {
        "fill_id": generate_fill_id(executed),
        "order_id": order.order_id,
        "trade_id": trade_id,
        "quantity": quantity,
        "price": price,
        "executed_at": executed,
    }
    return Fill.model_validate(values | fields)


def recorded_order(
    ledger: Ledger,
    account: str = "acct-1",
    venue: str = "paper",
    at: datetime = T0,
    arrival_price: str | None = None,
    **fields: Any,
) -> OrderRecord:
    """Record a plan, a group and one order in ``ledger``; return the order's record.

    ``fields`` override the order's fields (see :func:`order_in_group`).
    """
    plan = ledger.record_plan(make_plan(account, at))
    group = ledger.record_group(make_group(account, plan, at))
    order = order_in_group(group, at, **fields)
    return ledger.record_order(
        account,
        order,
        venue=venue,
        client_order_id=f"kit-{next(_client_ids)}-{order.order_id}",
        arrival_price=arrival_price,
    )
