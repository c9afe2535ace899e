"""The synchronous Broker: the calls of docs/concepts.md's usage example (settings, then
load by status, a misspelt status refused), on the same core as the AsyncBroker."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from orderdesk import OrderStatus
from orderdesk.broker import Broker
from orderdesk.testing.paper_desk import PaperDesk


def sync_broker(desk: PaperDesk) -> Broker:
    return Broker.around(desk.broker)


def test_the_usage_example_runs_as_written() -> None:
    desk = PaperDesk()
    with sync_broker(desk) as broker:
        trade = desk.order("BUY", "0.1", price="90000.00")
        broker.submit(trade)
        user_params: dict[str, Any] = {"account": "acct-1"}

        broker_params: dict[str, Any] = {"status": "OPEN"}
        broker.settings(**user_params)
        open_trades = broker.load(**broker_params)

        broker_params = {"status": "CLOSED"}
        broker.settings(**user_params)
        closed_trades = broker.load(**broker_params)

        broker_params = {"status": "PENDING"}
        broker.settings(**user_params)
        pending_trades = broker.load(**broker_params)

        broker_params = {"status": "CANECELLED"}
        broker.settings(**user_params)
        with pytest.raises(ValueError, match="Did you mean 'CANCELLED'"):
            broker.load(**broker_params)

    assert [o.order_id for o in open_trades] == [trade.order_id]
    assert (closed_trades, pending_trades) == ([], [])


def test_the_sync_api_submits_cancels_and_reads_through_the_same_core() -> None:
    desk = PaperDesk()
    with sync_broker(desk) as broker:
        filled = broker.submit(desk.order("SELL", "0.2"))
        resting = broker.submit(desk.order("BUY", "0.1", price="90000.00"))
        cancelled = broker.cancel(resting.order_id)
        assert filled.order.status is OrderStatus.FILLED
        assert sum(f.quantity for f in broker.fills(filled.order_id)) == D("0.2")
        assert cancelled.order.status is OrderStatus.CANCELLED
        assert broker.status(resting.order_id).order.status is OrderStatus.CANCELLED
        assert [o.order_id for o in broker.load("CLOSED")] == [filled.order_id, resting.order_id]
        assert broker.trace(filled.order_id).record.order_id == filled.order_id


def test_the_sync_broker_works_on_a_sqlite_ledger_opened_on_the_callers_thread(
    tmp_path: Path,
) -> None:
    desk = PaperDesk(store_url=f"sqlite:///{tmp_path / 'ledger.db'}")
    with Broker.around(desk.broker) as broker:
        record = broker.submit(desk.order("BUY", "0.1"))
        assert broker.get(record.order_id).order.status is OrderStatus.FILLED
