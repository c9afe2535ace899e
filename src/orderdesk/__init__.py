"""orderdesk: order management for algorithmic traders.

A strategy hands orderdesk an order; orderdesk records the intent durably, sends it to a
venue, follows it through acks, fills, cancels, rejects and expiries, never loses or
duplicates an order or a fill, and reports how well each order was executed.

``from orderdesk import Broker, paper_broker`` is the way in: ``paper_broker()`` gives a
Broker trading on an in-process paper exchange. The Broker, the AsyncBroker and the paper
composition helpers are imported on first use, so ``import orderdesk`` stays cheap (no
asyncio, no database driver, no optional extra).
"""

import importlib
import typing

from orderdesk.errors import (
    AckConflict,
    Banned,
    CircuitOpen,
    ConcurrentUpdate,
    ContradictedRejection,
    FillConflict,
    IntegrityAlarm,
    IntegrityError,
    InvalidTransition,
    LedgerMissing,
    LifecycleError,
    NotFound,
    NotSent,
    OperationalError,
    OrderdeskError,
    OutcomeUnknown,
    Overfill,
    PreTradeRejected,
    RateLimited,
    SchemaVersionError,
    StoreError,
    VenueError,
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
from orderdesk.ports import Clock, Connector, OrderPage, OrderQuery, Store

if typing.TYPE_CHECKING:
    from orderdesk.app import DEFAULT_DEPOSITS, DEFAULT_MARKETS, paper_broker
    from orderdesk.desk import AsyncBroker, Broker

__version__ = "0.1.0"

__all__ = [
    "AckConflict",
    "Acked",
    "AsyncBroker",
    "Balance",
    "Banned",
    "Broker",
    "CancelOutcome",
    "CancelResult",
    "Cancelled",
    "CircuitOpen",
    "Clock",
    "ConcurrentUpdate",
    "Connector",
    "ContradictedRejection",
    "DEFAULT_DEPOSITS",
    "DEFAULT_MARKETS",
    "EventKind",
    "ExecutionGroup",
    "ExecutionReport",
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
    "LedgerMissing",
    "LifecycleError",
    "Liquidity",
    "Market",
    "NotFound",
    "NotSent",
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
    "OutcomeUnknown",
    "Overfill",
    "PreTradeRejected",
    "RateLimited",
    "RejectCode",
    "Rejected",
    "ReportKind",
    "SchemaVersionError",
    "Side",
    "Store",
    "StoreError",
    "SubmitRequest",
    "SubmitResult",
    "SubmitState",
    "TRANSITIONS",
    "TimeInForce",
    "Trace",
    "TradePlan",
    "Transition",
    "VenueError",
    "VenueFill",
    "VenueOrder",
    "__version__",
    "apply",
    "generate_fill_id",
    "generate_group_id",
    "generate_order_id",
    "generate_plan_id",
    "open_store",
    "paper_broker",
    "to_event",
]

_ON_FIRST_USE = {
    "AsyncBroker": "orderdesk.desk",
    "Broker": "orderdesk.desk",
    "DEFAULT_DEPOSITS": "orderdesk.app",
    "DEFAULT_MARKETS": "orderdesk.app",
    "paper_broker": "orderdesk.app",
}
"""Names imported when first asked for: the broker brings asyncio, the helpers the venues."""


if not typing.TYPE_CHECKING:  # type checkers see the imports above, and no catch-all

    def __getattr__(name: str) -> object:
        module = _ON_FIRST_USE.get(name)
        if module is None:
            raise AttributeError(f"module 'orderdesk' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # asked once: later lookups find it without this hook
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_ON_FIRST_USE})
