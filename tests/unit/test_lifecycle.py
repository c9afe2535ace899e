"""The lifecycle: every status x every event against the README's table, duplicates, alarms."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from orderdesk import (
    AckConflict,
    Acked,
    Cancelled,
    Expired,
    FillConflict,
    Filled,
    InvalidTransition,
    Order,
    OrderEvent,
    OrderFills,
    OrderStatus,
    Overfill,
    Rejected,
)
from orderdesk.model.lifecycle import TRANSITIONS, Action, apply
from orderdesk.testing.factories import T0, make_fill, make_order

S = OrderStatus
# The README's lifecycle table, typed out again on purpose: the code's must agree with it.
# Columns: ack, partial fill, completing fill, cancel ack, expire, reject.
EXPECTED: dict[OrderStatus, tuple[str, ...]] = {
    S.PENDING: ("OPEN", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "EXPIRED", "REJECTED"),
    S.OPEN: ("no-op", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "EXPIRED", "REJECTED"),
    S.PARTIALLY_FILLED: ("no-op", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "EXPIRED", "error"),
    S.FILLED: ("no-op", "overfill", "overfill", "no-op", "no-op", "error"),
    S.CANCELLED: ("no-op", "keep", "FILLED", "no-op", "no-op", "error"),
    S.EXPIRED: ("no-op", "keep", "FILLED", "no-op", "no-op", "error"),
    S.REJECTED: ("error", "error", "error", "no-op", "no-op", "no-op"),
}
EVENTS = ("ack", "partial fill", "completing fill", "cancel ack", "expire", "reject")
LATER = T0 + timedelta(seconds=5)


def order_in(status: OrderStatus) -> tuple[Order, OrderFills]:
    """An order of quantity 1 in ``status``; partially filled ones hold 0.4 already."""
    order = make_order(status=status)
    fills = OrderFills(order.quantity)
    if status is S.PARTIALLY_FILLED:
        fills.add(make_fill(order, "t-prior", "0.4"))
    if status is S.FILLED:
        fills.add(make_fill(order, "t-prior", "1"))
    return order, fills


def event_for(name: str, order: Order, fills: OrderFills) -> OrderEvent:
    remaining = fills.remaining_quantity
    if name == "ack":
        return Acked(at=LATER, connector_order_id="venue-1")
    if name == "partial fill":
        return Filled(make_fill(order, "t-new", "0.1", executed_at=LATER))
    if name == "completing fill":
        qty = str(remaining) if remaining > 0 else "0.1"
        return Filled(make_fill(order, "t-new", qty, executed_at=LATER))
    if name == "cancel ack":
        return Cancelled(at=LATER)
    if name == "expire":
        return Expired(at=LATER)
    return Rejected(at=LATER, reason="insufficient balance", code="-2010")


def test_the_code_table_is_the_documented_table() -> None:
    for status, row in EXPECTED.items():
        cells = tuple(rule.value for rule in TRANSITIONS[status].values())
        assert cells == row, status


CELLS = [(status, i) for status in EXPECTED for i in range(len(EVENTS))]


@pytest.mark.parametrize(
    ("status", "column"), CELLS, ids=[f"{s.value}-{EVENTS[c]}" for s, c in CELLS]
)
def test_every_status_and_event_behaves_as_the_table_says(status: OrderStatus, column: int) -> None:
    order, fills = order_in(status)
    event = event_for(EVENTS[column], order, fills)
    expected = EXPECTED[status][column]
    before = order.model_copy()
    before_filled = fills.filled_quantity

    if expected == "error":
        with pytest.raises(InvalidTransition) as caught:
            apply(order, fills, event)
        assert caught.value.status == status.value
        assert caught.value.event == EVENTS[column]
        assert status.value in str(caught.value)
        assert EVENTS[column] in str(caught.value)
        assert order == before
        assert fills.filled_quantity == before_filled
        return
    if expected == "overfill":
        with pytest.raises(Overfill):
            apply(order, fills, event)
        assert order == before
        assert fills.filled_quantity == before_filled
        return

    step = apply(order, fills, event)
    is_fill = isinstance(event, Filled)
    if expected == "no-op":
        assert order.status is status
        assert step.after is status
        assert fills.filled_quantity == before_filled
    elif expected == "keep":
        assert order.status is status
        assert step.fill is not None
        assert fills.filled_quantity == before_filled + Decimal("0.1")
    else:
        assert order.status is OrderStatus(expected)
        assert step.after is OrderStatus(expected)
        if is_fill:
            assert step.fill is not None
    if step.changed:
        assert order.updated_at == LATER


def test_a_repeated_fill_is_a_visible_no_op() -> None:
    order, fills = order_in(S.OPEN)
    fill = make_fill(order, "t1", "0.3")
    first = apply(order, fills, Filled(fill))
    resent = fill.model_copy(update={"fill_id": "FIL_20251201_150000_00000001"})
    again = apply(order, fills, Filled(resent))
    assert (first.duplicate, first.changed) == (False, True)
    assert (again.duplicate, again.changed) == (True, False)
    assert fills.filled_quantity == Decimal("0.3")
    assert len(fills) == 1


def test_a_repeated_ack_is_a_visible_no_op() -> None:
    order, fills = order_in(S.PENDING)
    first = apply(order, fills, Acked(at=LATER, connector_order_id="v1"))
    again = apply(order, fills, Acked(at=LATER, connector_order_id="v1"))
    assert (first.after, first.duplicate) == (S.OPEN, False)
    assert (again.after, again.duplicate, again.changed) == (S.OPEN, True, False)
    assert order.connector_order_id == "v1"


def test_an_ack_after_a_fill_records_the_venue_id_and_keeps_the_status() -> None:
    order, fills = order_in(S.PENDING)
    apply(order, fills, Filled(make_fill(order, "t1", "0.5")))
    step = apply(order, fills, Acked(at=LATER, connector_order_id="v9"))
    assert step.after is S.PARTIALLY_FILLED
    assert step.connector_order_id == "v9"
    assert order.connector_order_id == "v9"


def test_an_ack_naming_another_venue_id_is_an_alarm_and_changes_nothing() -> None:
    order, fills = order_in(S.PENDING)
    apply(order, fills, Acked(at=T0, connector_order_id="v1"))
    with pytest.raises(AckConflict, match=r"'v1'.*'v2'"):
        apply(order, fills, Acked(at=LATER, connector_order_id="v2"))
    assert order.connector_order_id == "v1"
    assert order.updated_at == T0


@pytest.mark.parametrize(("quantity", "price"), [("0.31", "100"), ("0.3", "100.5")])
def test_a_known_trade_id_with_other_figures_is_a_conflict(quantity: str, price: str) -> None:
    order, fills = order_in(S.OPEN)
    apply(order, fills, Filled(make_fill(order, "t1", "0.3")))
    with pytest.raises(FillConflict, match="'t1'"):
        apply(order, fills, Filled(make_fill(order, "t1", quantity, price)))
    assert fills.filled_quantity == Decimal("0.3")
    assert order.status is S.PARTIALLY_FILLED


def test_a_fill_beyond_the_quantity_is_an_overfill_and_changes_nothing() -> None:
    order, fills = order_in(S.PARTIALLY_FILLED)
    with pytest.raises(Overfill, match=r"0\.7 on top of 0\.4 exceeds the order quantity 1"):
        apply(order, fills, Filled(make_fill(order, "t2", "0.7")))
    assert fills.filled_quantity == Decimal("0.4")
    assert order.status is S.PARTIALLY_FILLED


def test_a_late_fill_after_cancel_is_recorded_and_status_kept() -> None:
    order, fills = order_in(S.OPEN)
    apply(order, fills, Cancelled(at=T0))
    step = apply(order, fills, Filled(make_fill(order, "t1", "0.2")))
    assert (step.before, step.after, step.rule) == (S.CANCELLED, S.CANCELLED, Action.KEEP)
    assert fills.filled_quantity == Decimal("0.2")


def test_a_completing_late_fill_after_cancel_makes_the_order_filled() -> None:
    order, fills = order_in(S.OPEN)
    apply(order, fills, Filled(make_fill(order, "t1", "0.2")))
    apply(order, fills, Cancelled(at=T0))
    step = apply(order, fills, Filled(make_fill(order, "t2", "0.8")))
    assert (step.before, step.after) == (S.CANCELLED, S.FILLED)


def test_a_fill_of_another_order_is_refused() -> None:
    order, fills = order_in(S.OPEN)
    other = make_order()
    with pytest.raises(ValueError, match="belongs to"):
        apply(order, fills, Filled(make_fill(other, "t1", "0.2")))


def test_updated_at_never_moves_backwards() -> None:
    order, fills = order_in(S.PENDING)
    apply(order, fills, Acked(at=LATER))
    apply(order, fills, Filled(make_fill(order, "t1", "0.2", executed_at=T0)))
    assert order.updated_at == LATER
