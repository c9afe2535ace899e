"""The pure domain: ids, enums, decimals, Order, Fill, plans, events and the lifecycle.

Imports only the standard library and pydantic; no I/O, no logging, no clock reads (but for
id generation when no time is given, see :mod:`orderdesk.model.ids`).
"""

from orderdesk.model.decimals import FeeDecimal, PositiveDecimal, decimal_text
from orderdesk.model.enums import (
    TERMINAL_STATUSES,
    Liquidity,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from orderdesk.model.events import (
    Acked,
    Cancelled,
    EventKind,
    Expired,
    Filled,
    OrderEvent,
    Rejected,
)
from orderdesk.model.fill import Fill, FillSummary, OrderFills
from orderdesk.model.ids import (
    IdGenerator,
    generate_fill_id,
    generate_group_id,
    generate_order_id,
    generate_plan_id,
)
from orderdesk.model.lifecycle import TRANSITIONS, Action, Transition, apply, decide
from orderdesk.model.order import Order
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.timestamps import UtcDatetime
from orderdesk.model.venue import (
    Balance,
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    Market,
    RejectCode,
    ReportKind,
    SubmitRequest,
    SubmitResult,
    VenueFill,
    VenueOrder,
    to_event,
)

__all__ = [
    "Acked",
    "Action",
    "Balance",
    "CancelOutcome",
    "CancelResult",
    "Cancelled",
    "EventKind",
    "ExecutionGroup",
    "ExecutionReport",
    "Expired",
    "FeeDecimal",
    "Fill",
    "FillSummary",
    "Filled",
    "IdGenerator",
    "Liquidity",
    "Market",
    "Order",
    "OrderEvent",
    "OrderFills",
    "OrderStatus",
    "OrderType",
    "PositiveDecimal",
    "RejectCode",
    "Rejected",
    "ReportKind",
    "Side",
    "SubmitRequest",
    "SubmitResult",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "TimeInForce",
    "TradePlan",
    "Transition",
    "UtcDatetime",
    "VenueFill",
    "VenueOrder",
    "apply",
    "decide",
    "decimal_text",
    "generate_fill_id",
    "generate_group_id",
    "generate_order_id",
    "generate_plan_id",
    "to_event",
]
