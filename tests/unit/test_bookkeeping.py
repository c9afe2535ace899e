"""How a decided change moves an order's record: submit states, cancel requests, facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from orderdesk.errors import FillConflict, InvalidTransition
from orderdesk.ledger import bookkeeping
from orderdesk.model.enums import OrderStatus
from orderdesk.model.events import Acked, Cancelled, Filled, Rejected
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.testing.ledger_kit import T0, fill_of, make_group, order_in_group

S = SubmitState
LEGAL = {
    (S.NOT_SENT, S.SENT),
    (S.SENT, S.IN_DOUBT),
    (S.SENT, S.ACKED),
    (S.SENT, S.NOT_SENT),
    (S.IN_DOUBT, S.ACKED),
    (S.IN_DOUBT, S.SENT),
    (S.IN_DOUBT, S.NOT_SENT),
}


def _record(**changes: object) -> OrderRecord:
    order = order_in_group(make_group(), quantity="1.0")
    record = bookkeeping.new_record(
        "acct-1", order, venue="paper", client_order_id="c", plan_id=None, arrival_price=None
    )
    return replace(record, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("before", list(S))
@pytest.mark.parametrize("after", list(S))
def test_submit_state_moves_follow_the_table(before: SubmitState, after: SubmitState) -> None:
    record = _record(submit_state=before)
    if before is after:
        assert bookkeeping.after_submit_state(record, after, T0) is None
    elif (before, after) in LEGAL:
        moved = bookkeeping.after_submit_state(record, after, T0)
        assert moved is not None
        assert (moved.submit_state, moved.version) == (after, 2)
    else:
        with pytest.raises(InvalidTransition):
            bookkeeping.after_submit_state(record, after, T0)


def test_sent_at_is_the_first_send_and_survives_a_resend() -> None:
    first = bookkeeping.after_submit_state(_record(), S.SENT, T0)
    assert first is not None
    doubt = bookkeeping.after_submit_state(first, S.IN_DOUBT, T0 + timedelta(seconds=1))
    assert doubt is not None
    again = bookkeeping.after_submit_state(doubt, S.SENT, T0 + timedelta(seconds=2))
    assert again is not None
    assert again.sent_at == T0


def test_a_new_order_must_be_pending_and_name_a_real_account() -> None:
    order = order_in_group(make_group(), status=OrderStatus.OPEN)
    with pytest.raises(ValueError, match="must be PENDING"):
        bookkeeping.new_record(
            "acct-1", order, venue="p", client_order_id="c", plan_id=None, arrival_price=None
        )
    with pytest.raises(ValueError, match="is not an account name"):
        bookkeeping.new_record(
            "x' OR 1=1", order_in_group(make_group()), venue="p", client_order_id="c",
            plan_id=None, arrival_price=None,
        )  # fmt: skip


def test_cancel_request_on_a_finished_order_is_a_no_op() -> None:
    record = _record()
    cancelled = bookkeeping.after_event(
        record, bookkeeping.decide_event(record, None, Cancelled(T0)), T0
    )
    assert cancelled is not None
    assert bookkeeping.after_cancel_request(cancelled, T0) is None


def test_fill_decided_from_running_totals_without_the_fill_history() -> None:
    record = _record(filled_quantity=Decimal("0.6"), notional=Decimal("60.0"), fill_count=5)
    fill = fill_of(record.order, "0.4", "t-new")
    transition = bookkeeping.decide_event(record, None, Filled(fill))
    moved = bookkeeping.after_event(record, transition, fill.executed_at)
    assert moved is not None
    assert transition.after is OrderStatus.FILLED
    assert (moved.filled_quantity, moved.notional, moved.fill_count) == (
        Decimal("1.0"),
        Decimal("100.000"),
        6,
    )
    assert (moved.first_fill_at, moved.completed_at) == (fill.executed_at, fill.executed_at)


def test_a_trade_already_recorded_on_another_order_conflicts() -> None:
    record = _record()
    other = order_in_group(make_group())
    known = fill_of(other, "0.5", "t-1")
    with pytest.raises(FillConflict):
        bookkeeping.decide_event(record, known, Filled(fill_of(record.order, "0.5", "t-1")))


def test_any_report_but_a_reject_settles_the_submit() -> None:
    sent = _record(submit_state=S.IN_DOUBT)
    acked = bookkeeping.after_event(sent, bookkeeping.decide_event(sent, None, Acked(T0)), T0)
    rejected = bookkeeping.after_event(
        sent, bookkeeping.decide_event(sent, None, Rejected(T0, "no")), T0
    )
    assert acked is not None
    assert rejected is not None
    assert (acked.submit_state, acked.acked_at) == (S.ACKED, T0)
    assert (rejected.submit_state, rejected.order.status) == (S.IN_DOUBT, OrderStatus.REJECTED)


def test_a_local_cancel_of_an_order_never_sent_leaves_it_not_sent() -> None:
    unsent = _record(submit_state=S.NOT_SENT)
    cancelled = bookkeeping.after_event(
        unsent, bookkeeping.decide_event(unsent, None, Cancelled(T0)), T0
    )
    assert cancelled is not None
    assert (cancelled.submit_state, cancelled.acked_at) == (S.NOT_SENT, None)
    assert cancelled.order.status is OrderStatus.CANCELLED
