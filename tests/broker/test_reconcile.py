"""Reconciliation: crashes between intent, send and reply; missed reports; strangers' orders."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from decimal import Decimal as D
from typing import Any, TypeVar

import pytest

from orderdesk import OrderStatus
from orderdesk.broker.orders import default_group
from orderdesk.broker.reconcile import DifferenceKind
from orderdesk.broker.recording import request_of
from orderdesk.errors import ContradictedRejection
from orderdesk.model import Filled, Rejected, SubmitRequest
from orderdesk.model.records import JournalKind, SubmitState
from orderdesk.testing.ledger_kit import fill_of
from orderdesk.testing.paper_desk import PaperDesk, audit

T = TypeVar("T")
S = OrderStatus
K = DifferenceKind


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def intent_only(desk: PaperDesk, side: str, quantity: str, price: str | None = None) -> str:
    """Record an order as the broker does before sending, then 'crash'."""
    order = desk.order(side, quantity, price=price)
    record = desk.ledger.record_order(
        "acct-1",
        order,
        venue="paper",
        client_order_id=order.order_id,
        group=default_group("acct-1", order),
    )
    return record.order_id


def sent_without_reply(desk: PaperDesk, side: str, quantity: str, price: str | None = None) -> str:
    """Record, mark SENT, send through the venue, then 'crash' before the reply lands."""
    order_id = intent_only(desk, side, quantity, price)
    desk.ledger.set_submit_state("acct-1", order_id, SubmitState.SENT)
    record = desk.ledger.get("acct-1", order_id)
    run(desk.connectors["acct-1"].submit(request_of(record)))
    return order_id


def test_a_crash_between_intent_and_send_is_cancelled_locally_not_traded() -> None:
    desk = PaperDesk()
    order_id = intent_only(desk, "BUY", "0.1")
    dry = run(desk.broker.reconcile(dry_run=True))
    assert dry.counts()[K.NEVER_SENT] == 1
    assert desk.ledger.get("acct-1", order_id).order.status is S.PENDING  # dry: untouched
    applied = run(desk.broker.reconcile())
    assert applied.counts()[K.NEVER_SENT] == 1
    assert desk.ledger.get("acct-1", order_id).order.status is S.CANCELLED
    assert desk.exchange.open_records("acct-1") == []
    assert run(desk.broker.reconcile()).differences == ()


def test_a_crash_after_send_before_reply_is_recorded_from_the_venue() -> None:
    desk = PaperDesk(report_stream=False)
    market = sent_without_reply(desk, "BUY", "0.3")
    resting = sent_without_reply(desk, "SELL", "0.2", price="99000.00")
    report = run(desk.broker.reconcile())
    assert report.counts()[K.BEHIND] == 2
    assert desk.ledger.get("acct-1", market).order.status is S.FILLED
    assert desk.ledger.get("acct-1", market).filled_quantity == D("0.3")
    assert desk.ledger.get("acct-1", resting).order.status is S.OPEN
    result = audit(desk)
    assert (result.lost, result.duplicated, result.divergent, result.in_doubt) == (0, 0, 0, 0)


def test_reports_missed_while_the_stream_was_down_are_caught_up() -> None:
    desk = PaperDesk(report_stream=False)
    record = run(desk.broker.submit(desk.order("BUY", "0.2", price="94000.00")))
    desk.trade(D("93990.00"), D("5"))
    desk.step()
    assert desk.ledger.get("acct-1", record.order_id).order.status is S.OPEN
    report = run(desk.broker.reconcile())
    (difference,) = report.differences
    assert (difference.kind, difference.ledger_status, difference.venue_status) == (
        K.BEHIND,
        "OPEN",
        "FILLED",
    )
    caught_up = desk.ledger.get("acct-1", record.order_id)
    assert (caught_up.order.status, caught_up.filled_quantity) == (S.FILLED, D("0.2"))
    assert len(desk.ledger.fills("acct-1", record.order_id)) >= 1


def test_an_order_found_only_at_the_venue_is_adopted_into_this_account_only() -> None:
    desk = PaperDesk()
    stranger = SubmitRequest(
        client_order_id="web_1733065200000",
        symbol="BTC_USDT",
        side=desk.order().side,
        order_type=desk.order(price="1.00").order_type,
        quantity=D("0.5"),
        price=D("90000.00"),
    )
    run(desk.connectors["acct-1"].submit(stranger))
    report = run(desk.broker.reconcile())
    assert report.counts()[K.MISSING_HERE] == 1
    adopted = desk.ledger.get_by_client_order_id("acct-1", "paper", "web_1733065200000")
    assert (adopted.order.status, adopted.order.quantity) == (S.OPEN, D("0.5"))
    trace = run(desk.broker.trace(adopted.order_id))
    assert trace.group.strategy == "reconciled"
    desk.broker.settings(account="acct-2")
    assert run(desk.broker.reconcile()).differences == ()
    assert run(desk.broker.load()) == []


def test_the_report_is_json_and_a_second_pass_finds_nothing() -> None:
    desk = PaperDesk(report_stream=False)
    intent_only(desk, "BUY", "0.1")
    sent_without_reply(desk, "SELL", "0.1")
    payload = json.loads(run(desk.broker.reconcile()).to_json())
    assert payload["counts"] == {
        "missing_here": 0,
        "behind": 1,
        "in_doubt": 0,
        "never_sent": 1,
        "unknown_there": 0,
        "contradicted": 0,
        "cancel_pending": 0,
    }
    assert {d["kind"] for d in payload["differences"]} == {"behind", "never_sent"}
    assert run(desk.broker.reconcile()).differences == ()


def test_a_rejected_order_the_venue_works_is_a_journaled_alarm_and_contradicted() -> None:
    desk = PaperDesk(report_stream=False)
    order_id = sent_without_reply(desk, "SELL", "0.2", price="99000.00")  # rests at the venue
    desk.ledger.apply("acct-1", order_id, Rejected(desk.clock.now(), "said no", "INVALID_ORDER"))
    dry = run(desk.broker.reconcile(dry_run=True))
    assert dry.counts()[K.CONTRADICTED] == 1
    assert desk.broker.alarms == []  # dry: nothing journaled
    [found] = [d for d in dry.differences if d.kind is K.CONTRADICTED]
    assert (found.order_id, found.ledger_status, found.venue_status) == (
        order_id, "REJECTED", "OPEN",
    )  # fmt: skip

    applied = run(desk.broker.reconcile())

    assert applied.counts()[K.CONTRADICTED] == 1
    assert [type(alarm) for alarm in desk.broker.alarms] == [ContradictedRejection]
    venue_id = desk.exchange.open_records("acct-1")[0].venue_order_id
    assert str(desk.broker.alarms[0]) == (
        f"order {order_id}: recorded REJECTED, but the venue reports it as venue order '{venue_id}'"
    )
    record = desk.ledger.get("acct-1", order_id)
    assert record.order.status is S.REJECTED  # the table keeps it: a person must look
    [alarm] = [e for e in run(desk.broker.trace(order_id)).entries if e.kind is JournalKind.ALARM]
    assert (alarm.payload["alarm"], alarm.payload["connector_order_id"]) == (
        "ContradictedRejection", venue_id,
    )  # fmt: skip


def test_a_fill_of_a_rejected_order_is_kept_in_its_alarm() -> None:
    desk = PaperDesk(report_stream=False)
    order_id = intent_only(desk, "BUY", "0.1", price="94000.00")
    desk.ledger.apply("acct-1", order_id, Rejected(desk.clock.now(), "said no", "INVALID_ORDER"))
    order = desk.ledger.get("acct-1", order_id).order
    fill = fill_of(order, "0.1", "late-1", price="94000.00")
    with pytest.raises(ContradictedRejection) as raised:
        desk.ledger.apply("acct-1", order_id, Filled(fill))
    assert str(raised.value) == (
        f"order {order_id}: recorded REJECTED, but the venue reports trade 'late-1': 0.1 @ 94000.00"
    )
    entries = desk.ledger.store.journal_of_order("acct-1", order_id)
    assert entries[-1].kind is JournalKind.ALARM
    assert entries[-1].payload["fill"] == fill.model_dump(mode="json")
    assert desk.ledger.fills("acct-1", order_id) == ()


def test_a_cancel_pending_after_a_catch_up_is_reported_as_the_order_then_stands() -> None:
    desk = PaperDesk(report_stream=False)
    order_id = sent_without_reply(desk, "SELL", "0.2", price="99000.00")  # rests at the venue
    desk.ledger.request_cancel("acct-1", order_id, causation_id="cancel")
    dry = run(desk.broker.reconcile(dry_run=True))
    assert [(d.kind, d.order_id, d.ledger_status, d.venue_status) for d in dry.differences] == [
        (K.BEHIND, order_id, "PENDING", "OPEN"),
        (K.CANCEL_PENDING, order_id, "PENDING", "OPEN"),
    ]
    applied = run(desk.broker.reconcile())
    assert [(d.kind, d.ledger_status) for d in applied.differences] == [
        (K.BEHIND, "PENDING"),
        (K.CANCEL_PENDING, "OPEN"),  # caught up first, then cancelled there
    ]
    assert desk.ledger.get("acct-1", order_id).order.status is S.CANCELLED
    assert desk.exchange.open_records("acct-1") == []
    assert run(desk.broker.reconcile()).differences == ()
