"""orderdesk: order management for algorithmic traders.

A strategy hands orderdesk an order; orderdesk records the intent durably, sends it to a
venue, follows it through acks, fills, cancels, rejects and expiries, never loses or
duplicates an order or a fill, and reports how well each order was executed.
"""

# Ledger, Journal and their storage.
from orderdesk.errors import (
    AckConflict,
    ConcurrentUpdate,
    FillConflict,
    IntegrityAlarm,
    IntegrityError,
    InvalidTransition,
    LifecycleError,
    NotFound,
    OperationalError,
    OrderdeskError,
    Overfill,
    SchemaVersionError,
    StoreError,
)
from orderdesk.ledger import Journal, Ledger, Trace
from orderdesk.ledger.stores import open_store
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
from orderdesk.model.records import JournalEntry, JournalKind, OrderRecord, SubmitState
from orderdesk.ports import OrderPage, OrderQuery, Store

__version__ = "0.1.0"

__all__ = [
    "AckConflict",
    "Acked",
    "Cancelled",
    "ConcurrentUpdate",
    "EventKind",
    "ExecutionGroup",
    "Expired",
    "Fill",
    "FillConflict",
    "FillSummary",
    "Filled",
    "IntegrityAlarm",
    "IntegrityError",
    "InvalidTransition",
    "Journal",
    "JournalEntry",
    "JournalKind",
    "Ledger",
    "LifecycleError",
    "Liquidity",
    "NotFound",
    "OperationalError",
    "Order",
    "OrderEvent",
    "OrderFills",
    "OrderPage",
    "OrderQuery",
    "OrderRecord",
    "OrderStatus",
    "OrderType",
    "OrderdeskError",
    "Overfill",
    "Rejected",
    "SchemaVersionError",
    "Side",
    "Store",
    "StoreError",
    "SubmitState",
    "TRANSITIONS",
    "TimeInForce",
    "Trace",
    "TradePlan",
    "Transition",
    "__version__",
    "apply",
    "generate_fill_id",
    "generate_group_id",
    "generate_order_id",
    "generate_plan_id",
    "open_store",
]
