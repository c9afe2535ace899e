"""The public API: ``orderdesk.__all__`` is exactly the names below, sorted and importable,
and ``import orderdesk`` stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys
from types import ModuleType

import pytest

import orderdesk

PUBLIC = {
    # the order and its causality records
    "Order", "OrderType", "OrderStatus", "Side", "TimeInForce", "TradePlan", "ExecutionGroup",
    "generate_order_id", "generate_group_id", "generate_plan_id", "generate_fill_id",
    # fills and the lifecycle
    "Fill", "FillSummary", "OrderFills", "Liquidity", "TRANSITIONS", "Transition", "apply",
    "EventKind", "OrderEvent", "Acked", "Filled", "Cancelled", "Expired", "Rejected",
    # the ledger and its records
    "Ledger", "Journal", "Trace", "OrderRecord", "SubmitState", "JournalEntry", "JournalKind",
    "open_store",
    # the ports
    "Clock", "Connector", "Store", "OrderPage", "OrderQuery",
    # what a venue says
    "Market", "Balance", "SubmitRequest", "SubmitResult", "VenueFill", "VenueOrder",
    "ExecutionReport", "ReportKind", "RejectCode", "CancelResult", "CancelOutcome", "to_event",
    # the broker and the paper composition
    "Broker", "AsyncBroker", "paper_broker", "DEFAULT_MARKETS", "DEFAULT_DEPOSITS",
    # errors
    "OrderdeskError", "LifecycleError", "InvalidTransition", "Overfill", "FillConflict",
    "AckConflict", "IntegrityAlarm", "StoreError", "IntegrityError", "ConcurrentUpdate",
    "NotFound", "LedgerMissing", "OperationalError", "SchemaVersionError", "VenueError", "NotSent",
    "OutcomeUnknown", "RateLimited", "Banned", "CircuitOpen", "PreTradeRejected",
    "ContradictedRejection",
    "__version__",
}  # fmt: skip


def test_all_is_exactly_the_public_names() -> None:
    assert set(orderdesk.__all__) - PUBLIC == set()
    assert PUBLIC - set(orderdesk.__all__) == set()
    assert len(orderdesk.__all__) == len(PUBLIC)  # no name twice


def test_all_is_sorted() -> None:
    assert orderdesk.__all__ == sorted(orderdesk.__all__)


def test_every_name_in_all_resolves() -> None:
    for name in orderdesk.__all__:
        assert getattr(orderdesk, name) is not None, name
    assert set(orderdesk.__all__) <= set(dir(orderdesk))


def test_the_broker_and_the_paper_helpers_are_the_ones_of_their_modules() -> None:
    from orderdesk import AsyncBroker, Broker, app, broker, desk, paper_broker  # noqa: PLC0415

    # The public brokers are the order protocol's, composed with the ledger's reads.
    assert (Broker, AsyncBroker) == (desk.Broker, desk.AsyncBroker)
    assert issubclass(AsyncBroker, broker.AsyncBroker)
    assert issubclass(Broker, broker.Broker)
    assert paper_broker is app.paper_broker
    assert orderdesk.DEFAULT_MARKETS is app.DEFAULT_MARKETS
    assert orderdesk.DEFAULT_DEPOSITS is app.DEFAULT_DEPOSITS


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError) as raised:
        orderdesk.Brokr  # type: ignore[attr-defined]  # noqa: B018
    assert str(raised.value) == "module 'orderdesk' has no attribute 'Brokr'"


def test_every_public_error_is_exported() -> None:
    errors = {
        name
        for name, value in vars(orderdesk.errors).items()
        if isinstance(value, type) and issubclass(value, Exception) and not name.startswith("_")
    }
    assert errors <= set(orderdesk.__all__)


def test_every_public_name_of_the_package_is_in_all() -> None:
    public = {
        name
        for name, value in vars(orderdesk).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public <= set(orderdesk.__all__)


HEAVY = ("ccxt", "matplotlib", "psycopg", "pandas", "polars")


def _imported_after(statement: str) -> list[str]:
    """The heavy or lazily imported modules a fresh interpreter holds after ``statement``."""
    watched = [*HEAVY, "asyncio", "orderdesk.app", "orderdesk.broker"]
    probe = (
        f"import json, sys\n{statement}\n"
        "found = {name.split('.')[0] for name in sys.modules} | set(sys.modules)\n"
        f"print(json.dumps(sorted(found & set({watched!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    found: list[str] = json.loads(done.stdout)
    return found


def test_importing_orderdesk_imports_no_extra_and_no_broker() -> None:
    assert _imported_after("import orderdesk") == []


def test_importing_the_broker_imports_no_extra() -> None:
    found = _imported_after("from orderdesk import AsyncBroker, Broker, paper_broker")
    assert found == ["asyncio", "orderdesk.app", "orderdesk.broker"]
