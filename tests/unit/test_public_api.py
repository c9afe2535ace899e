"""The public API: ``orderdesk.__all__`` is sorted, complete and importable."""

from __future__ import annotations

from types import ModuleType

import orderdesk

REQUIRED = {
    "Order",
    "Fill",
    "OrderType",
    "OrderStatus",
    "Side",
    "TimeInForce",
    "TradePlan",
    "ExecutionGroup",
    "generate_order_id",
    "generate_group_id",
    "generate_plan_id",
    "generate_fill_id",
    "OrderdeskError",
    "InvalidTransition",
    "Overfill",
}


def test_all_is_sorted() -> None:
    assert orderdesk.__all__ == sorted(orderdesk.__all__)


def test_all_names_the_issue_requires() -> None:
    assert set(orderdesk.__all__) >= REQUIRED


def test_every_name_in_all_exists() -> None:
    missing = [name for name in orderdesk.__all__ if not hasattr(orderdesk, name)]
    assert missing == []


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
        if not name.startswith("_")
        and not isinstance(value, ModuleType)  # subpackages: orderdesk.model, .ledger, ...
        and name != "annotations"
    }
    assert public - {"__version__"} <= set(orderdesk.__all__)
