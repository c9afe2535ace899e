"""The Broker's API on the paper venue: the usage example, cancels, loads, accounts."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from decimal import Decimal as D
from typing import Any, TypeVar

import pytest

from orderdesk import NotFound, OrderStatus, PreTradeRejected
from orderdesk.broker.core import NOT_SENT_CODE, OrderUpdate
from orderdesk.model.records import SubmitState
from orderdesk.testing.paper_desk import PaperDesk
from orderdesk.venues.paper.faults import Faults

T = TypeVar("T")
S = OrderStatus


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_a_market_order_fills_at_once_with_its_arrival_price_recorded() -> None:
    desk = PaperDesk()
    record = run(desk.broker.submit(desk.order("BUY", "0.5")))
    assert record.order.status is S.FILLED
    assert record.submit_state is SubmitState.ACKED
    assert record.arrival_price == D("95000.00")
    assert record.filled_quantity == D("0.5")
    fills = run(desk.broker.fills(record.order_id))
    assert sum(f.quantity for f in fills) == D("0.5")
    assert all(f.price == D("95000.01") for f in fills)
    assert None not in (record.sent_at, record.acked_at, record.first_fill_at, record.completed_at)


def test_a_limit_order_rests_then_fills_from_the_report_stream() -> None:
    desk = PaperDesk()
    record = run(desk.broker.submit(desk.order("BUY", "0.2", price="94000.00")))
    assert record.order.status is S.OPEN
    desk.trade(D("94000.00"), D("0.05"))
    desk.step()
    assert run(desk.broker.get(record.order_id)).order.status is S.PARTIALLY_FILLED
    desk.trade(D("93990.00"), D("1"))
    desk.step()
    final = run(desk.broker.get(record.order_id))
    assert final.order.status is S.FILLED
    assert final.filled_quantity == D("0.2")


def test_the_usage_example_loads_by_status_for_the_current_user() -> None:
    desk = PaperDesk()
    broker = desk.broker
    filled = run(broker.submit(desk.order("BUY", "0.1")))
    resting = run(broker.submit(desk.order("BUY", "0.1", price="90000.00")))
    cancelled = run(broker.submit(desk.order("SELL", "0.1", price="99000.00")))
    run(broker.cancel(cancelled.order_id))

    user_params: dict[str, Any] = {"account": "acct-1"}
    broker.settings(**user_params)
    broker_params: dict[str, Any] = {"status": "OPEN"}
    open_trades = run(broker.load(**broker_params))
    broker_params = {"status": "CLOSED"}
    closed_trades = run(broker.load(**broker_params))
    broker_params = {"status": "PENDING"}
    pending = run(broker.load(**broker_params))
    broker_params = {"status": "CANCELLED"}
    cancelled_trades = run(broker.load(**broker_params))

    assert [o.order_id for o in open_trades] == [resting.order_id]
    assert [o.order_id for o in closed_trades] == [filled.order_id, cancelled.order_id]
    assert pending == []
    assert [o.order_id for o in cancelled_trades] == [cancelled.order_id]
    broker_params = {"status": "CANECELLED"}  # a misspelling a hurried caller makes
    with pytest.raises(ValueError, match="Did you mean 'CANCELLED'"):
        run(broker.load(**broker_params))


def test_settings_refuse_unknown_keys_and_never_echo_secrets() -> None:
    desk = PaperDesk()
    with pytest.raises(ValueError, match=r"unknown setting 'acount' \(did you mean 'account'\?\)"):
        desk.broker.settings(acount="acct-1")
    with pytest.raises(ValueError, match="invalid setting account") as caught:
        desk.broker.settings(account="", api_secret="s3cr3t-canary")
    assert "s3cr3t-canary" not in str(caught.value)


def test_a_filter_breach_records_and_sends_nothing() -> None:
    desk = PaperDesk()
    with pytest.raises(PreTradeRejected, match="BELOW_MIN_NOTIONAL"):
        run(desk.broker.submit(desk.order("BUY", "0.0001", price="100.00")))
    with pytest.raises(PreTradeRejected, match="INSUFFICIENT_BALANCE"):
        run(desk.broker.submit(desk.order("SELL", "5000")))
    assert run(desk.broker.load()) == []
    assert desk.exchange.open_records("acct-1") == []


def test_another_account_can_neither_see_query_nor_cancel_an_order() -> None:
    desk = PaperDesk()
    mine = run(desk.broker.submit(desk.order("BUY", "0.1", price="90000.00")))
    desk.broker.settings(account="acct-2")
    calls_before = desk.broker.retrier("paper").requests
    assert run(desk.broker.load()) == []
    for lookup in (desk.broker.get, desk.broker.status, desk.broker.cancel, desk.broker.fills):
        with pytest.raises(NotFound):
            run(lookup(mine.order_id))
    with pytest.raises(NotFound):
        desk.ledger.get_by_client_order_id("acct-2", "paper", mine.client_order_id)
    with pytest.raises(NotFound):
        desk.ledger.get_by_venue_order_id("acct-2", "paper", mine.order.connector_order_id or "")
    assert desk.broker.retrier("paper").requests == calls_before  # no venue call was made
    desk.broker.settings(account="acct-1")
    assert run(desk.broker.get(mine.order_id)).order.status is S.OPEN


def test_a_venue_rejection_is_an_outcome_not_an_exception() -> None:
    desk = PaperDesk(check_balance=False)
    record = run(desk.broker.submit(desk.order("SELL", "5000")))
    assert record.order.status is S.REJECTED
    trace = run(desk.broker.trace(record.order_id))
    assert trace.entries[-1].payload["reason"].startswith("insufficient")


def test_a_submit_that_never_reached_the_venue_ends_not_sent() -> None:
    desk = PaperDesk(faults=Faults(refuse_connection=1.0))
    record = run(desk.broker.submit(desk.order("BUY", "0.1")))
    assert record.order.status is S.REJECTED
    assert record.submit_state is SubmitState.NOT_SENT
    trace = run(desk.broker.trace(record.order_id))
    assert trace.entries[-1].payload["code"] == NOT_SENT_CODE
    assert desk.exchange.open_records("acct-1") == []


def test_cancel_of_a_filled_order_reports_it_filled() -> None:
    desk = PaperDesk()
    record = run(desk.broker.submit(desk.order("BUY", "0.1")))
    assert run(desk.broker.cancel(record.order_id)).order.status is S.FILLED


def test_subscribers_hear_every_change() -> None:
    desk = PaperDesk()
    heard: list[OrderUpdate] = []
    desk.broker.subscribe(heard.append)
    record = run(desk.broker.submit(desk.order("BUY", "0.1", price="94000.00")))
    desk.trade(D("94000.00"), D("1"))
    desk.step()
    statuses = [u.record.order.status for u in heard if u.record.order_id == record.order_id]
    assert statuses[0] is S.PENDING
    assert statuses[-1] is S.FILLED
    assert any(u.fill is not None for u in heard)


def test_strategies_can_iterate_over_updates() -> None:
    desk = PaperDesk()

    async def go() -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []
        stream = desk.broker.updates()

        async def listen() -> None:
            async for update in stream:
                seen.append((update.record.order.status.value, update.record.submit_state.value))
                if update.record.order.status is S.FILLED:
                    return

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0)  # the listener subscribes before anything happens
        await desk.broker.submit(desk.order("BUY", "0.1"))
        await asyncio.wait_for(listener, timeout=5)
        return seen

    seen = run(go())
    assert seen[0] == ("PENDING", "NOT_SENT")
    assert seen[-1][0] == "FILLED"
    assert ("OPEN", "ACKED") in seen
