"""The Broker's hot path: what each order costs the ledger, and that the savings change
nothing the ledger records."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from decimal import Decimal as D
from typing import Any, TypeVar

from orderdesk import OrderStatus
from orderdesk.broker.core import OrderUpdate
from orderdesk.broker.orders import default_group
from orderdesk.errors import Overfill
from orderdesk.model import Liquidity, SubmitResult, VenueFill
from orderdesk.model.records import JournalKind, SubmitState
from orderdesk.ports import StoreTransaction
from orderdesk.testing.assertions import assert_replay_matches
from orderdesk.testing.paper_desk import PaperDesk

T = TypeVar("T")
S = OrderStatus
K = JournalKind


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def count_transactions(desk: PaperDesk) -> list[int]:
    """Count the transactions the desk's store opens from now on, in a one-item list."""
    store = desk.ledger.store
    opened = [0]
    original = store.transaction

    @contextmanager
    def counted() -> Iterator[StoreTransaction]:
        opened[0] += 1
        with original() as tx:
            yield tx

    store.transaction = counted  # type: ignore[method-assign]
    return opened


def test_a_market_order_costs_two_transactions_and_journals_every_step() -> None:
    desk = PaperDesk(check_balance=False)
    opened = count_transactions(desk)
    record = run(desk.broker.submit(desk.order("BUY", "0.5")))
    assert record.order.status is S.FILLED
    assert opened == [2]  # group, intent and SENT, before the send; the reply's ack and fills
    kinds = [e.kind for e in desk.ledger.store.journal()]
    assert kinds[0] is K.GROUP_RECORDED
    assert kinds[1:] == [K.ORDER_RECORDED, K.SUBMIT_STATE, K.ACKED, K.FILLED]
    assert record == desk.ledger.get("acct-1", record.order_id)


def test_a_repeated_report_costs_no_transaction_and_changes_nothing() -> None:
    desk = PaperDesk(check_balance=False)
    record = run(desk.broker.submit(desk.order("BUY", "0.5")))
    reports = desk.connectors["acct-1"].drain_reports()
    assert [r.kind.value for r in reports] == ["ACK", "FILL"]  # both repeat the reply
    journal = desk.ledger.store.journal()
    heard: list[OrderUpdate] = []
    desk.broker.subscribe(heard.append)
    opened = count_transactions(desk)
    assert desk.broker.on_reports(reports + reports) == 4
    assert opened == [0]
    assert heard == []
    assert desk.ledger.store.journal() == journal
    assert desk.ledger.get("acct-1", record.order_id) == record
    assert assert_replay_matches(desk.ledger.store, {"acct-1"}) == 1


def test_a_report_that_is_news_is_recorded_in_one_transaction() -> None:
    desk = PaperDesk(check_balance=False)
    record = run(desk.broker.submit(desk.order("BUY", "0.2", price="94000.00")))
    assert record.order.status is S.OPEN
    desk.exchange.on_trade("BTC_USDT", D("94000.00"), D("1"))
    reports = desk.connectors["acct-1"].drain_reports()
    opened = count_transactions(desk)
    assert desk.broker.on_reports(reports) == len(reports)
    assert opened == [1]  # the fill; the repeated ack costs none
    final = desk.ledger.get("acct-1", record.order_id)
    assert final.order.status is S.FILLED
    assert [e.kind for e in desk.ledger.store.journal()][-1] is K.FILLED
    assert assert_replay_matches(desk.ledger.store, {"acct-1"}) == 1


def test_a_reply_with_an_impossible_fill_is_recorded_event_by_event() -> None:
    desk = PaperDesk(check_balance=False)
    order = desk.order("BUY", "0.2", price="94000.00")
    record = desk.ledger.record_order(
        "acct-1", order, venue="paper", client_order_id=order.order_id,
        group=default_group("acct-1", order),
    )  # fmt: skip
    desk.ledger.set_submit_state("acct-1", order.order_id, SubmitState.SENT)
    now = desk.clock.now()
    fill = VenueFill(
        trade_id="T-1", venue_order_id="V-1", client_order_id=record.client_order_id,
        symbol="BTC_USDT", side=order.side, quantity=D("0.3"), price=D("94000.00"),
        fee=D(0), fee_asset="BTC", liquidity=Liquidity.MAKER, executed_at=now,
    )  # fmt: skip
    reply = SubmitResult(record.client_order_id, S.FILLED, now, venue_order_id="V-1", fills=(fill,))
    after = desk.broker._recorder.adopt_result("acct-1", order.order_id, reply)
    assert after.order.status is S.OPEN  # the ack stands; the overfill is an alarm
    assert after.submit_state is SubmitState.ACKED
    assert after == desk.ledger.get("acct-1", order.order_id)
    assert [type(alarm) for alarm in desk.broker.alarms] == [Overfill]
    assert desk.ledger.fills("acct-1", order.order_id) == ()
    kinds = [e.kind for e in desk.ledger.store.journal_of_order("acct-1", order.order_id)]
    assert kinds == [K.ORDER_RECORDED, K.SUBMIT_STATE, K.ACKED, K.ALARM]
