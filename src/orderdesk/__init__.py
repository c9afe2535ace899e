"""orderdesk: order management for algorithmic traders.

A strategy hands orderdesk an order; orderdesk records the intent durably, sends it to a
venue, follows it through acks, fills, cancels, rejects and expiries, never loses or
duplicates an order or a fill, and reports how well each order was executed.
"""

from orderdesk.errors import (
    AckConflict,
    FillConflict,
    IntegrityAlarm,
    InvalidTransition,
    LifecycleError,
    OrderdeskError,
    Overfill,
)
from orderdesk.model import (
    TRANSITIONS,
    Acked,
    Cancelled,
    EventKind,
    ExecutionGroup,
    Expired,
    Fill,
    Filled,
    FillSummary,
    Liquidity,
    Order,
    OrderEvent,
    OrderFills,
    OrderStatus,
    OrderType,
    Rejected,
    Side,
    TimeInForce,
    TradePlan,
    Transition,
    apply,
    generate_fill_id,
    generate_group_id,
    generate_order_id,
    generate_plan_id,
)

__version__ = "0.1.0"

__all__ = [
    "AckConflict",
    "Acked",
    "Cancelled",
    "EventKind",
    "ExecutionGroup",
    "Expired",
    "Fill",
    "FillConflict",
    "FillSummary",
    "Filled",
    "IntegrityAlarm",
    "InvalidTransition",
    "LifecycleError",
    "Liquidity",
    "Order",
    "OrderEvent",
    "OrderFills",
    "OrderStatus",
    "OrderType",
    "OrderdeskError",
    "Overfill",
    "Rejected",
    "Side",
    "TRANSITIONS",
    "TimeInForce",
    "TradePlan",
    "Transition",
    "__version__",
    "apply",
    "generate_fill_id",
    "generate_group_id",
    "generate_order_id",
    "generate_plan_id",
]
