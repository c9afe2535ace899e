"""Why orders exist: TradePlan -> ExecutionGroup -> Order, lean causality records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

from orderdesk.model.decimals import PositiveDecimal
from orderdesk.model.enums import Side
from orderdesk.model.ids import GROUP_ID, ORDER_ID, PLAN_ID
from orderdesk.model.order import SYMBOL
from orderdesk.model.timestamps import UtcDatetime
from orderdesk.model.unchecked import unchecked

if TYPE_CHECKING:
    from orderdesk.model.order import Order

__all__ = ["ACCOUNT", "ExecutionGroup", "TradePlan", "group_of_order"]

ACCOUNT = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
"""An account name: 1-64 ASCII letters, digits and ``_.@-``, starting alphanumeric."""


class TradePlan(BaseModel):
    """A strategy's decision to trade: the root of an order's causality chain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str = Field(pattern=f"^{PLAN_ID.pattern}$")
    account: str = Field(pattern=ACCOUNT)
    strategy: str = Field(min_length=1, max_length=128)
    symbol: str = Field(pattern=SYMBOL)
    side: Side
    decision_price: PositiveDecimal | None = None
    reason: str = Field(default="", max_length=2000)
    created_at: UtcDatetime


class ExecutionGroup(BaseModel):
    """How a plan is executed: the orders placed together for it; knows its ``order_ids``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group_id: str = Field(pattern=f"^{GROUP_ID.pattern}$")
    plan_id: str | None = Field(default=None, pattern=f"^{PLAN_ID.pattern}$")
    account: str = Field(pattern=ACCOUNT)
    strategy: str = Field(min_length=1, max_length=128)
    symbol: str = Field(pattern=SYMBOL)
    side: Side
    decision_price: PositiveDecimal | None = None
    reason: str = Field(default="", max_length=2000)
    created_at: UtcDatetime
    order_ids: tuple[Annotated[str, Field(pattern=f"^{ORDER_ID.pattern}$")], ...] = ()


_GROUP_FIELDS: Final = frozenset(ExecutionGroup.model_fields)


def group_of_order(account: str, order: Order, strategy: str) -> ExecutionGroup:
    """Return the group ``order`` names, made of the order's own validated fields (its
    group id, symbol, side and creation time) under ``strategy``, without validating
    them again. ``account`` is checked by whoever records it (the Ledger does)."""
    return unchecked(
        ExecutionGroup,
        {
            "group_id": order.parent_group_id,
            "plan_id": None,
            "account": account,
            "strategy": strategy,
            "symbol": order.symbol,
            "side": order.side,
            "decision_price": None,
            "reason": "",
            "created_at": order.created_at,
            "order_ids": (),
        },
        set(_GROUP_FIELDS),
    )
