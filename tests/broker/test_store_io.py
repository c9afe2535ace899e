"""Where a broker's store I/O runs: on the caller's loop by default, on a worker thread with
``store_io="thread"``, with the same outcome either way."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from orderdesk.app import paper_desk
from orderdesk.broker import OrderUpdate
from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model import Order, OrderStatus, generate_group_id
from orderdesk.model.records import SubmitState

T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)


def _order(price: str | None = None) -> Order:
    return Order(
        parent_group_id=generate_group_id(T0),
        symbol="BTC_USDT",
        side="BUY",
        order_type="MARKET" if price is None else "LIMIT",
        quantity="0.01",
        price=price,
        created_at=T0,
        updated_at=T0,
    )


def _session(tmp_path: Path, store_io: str) -> tuple[list[int], list[tuple[str, str]], str]:
    store = SqliteStore(tmp_path / f"{store_io}.db")
    statements: list[int] = []
    store._db.set_trace_callback(lambda _: statements.append(threading.get_ident()))
    clock = ManualClock(T0)
    desk = paper_desk(Ledger(store, clock), clock=clock, check_balance=False, store_io=store_io)
    desk.exchange.on_quote("BTC_USDT", [(D("94999.99"), D("5"))], [(D("95000.01"), D("5"))])
    heard: list[tuple[str, str]] = []

    async def trade() -> str:
        async def listen() -> None:
            async for update in desk.broker.updates():
                heard.append(_seen(update))
                if update.record.order.status is OrderStatus.FILLED:
                    return

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0)
        record = await desk.broker.submit(_order())
        await asyncio.wait_for(listener, timeout=30)
        assert (await desk.broker.get(record.order_id)) == record
        assert len(await desk.broker.fills(record.order_id)) == 1
        return record.order.status.value

    status = asyncio.run(trade())
    store.close()
    return statements, heard, status


def _seen(update: OrderUpdate) -> tuple[str, str]:
    return update.record.order.status.value, update.record.submit_state.value


@pytest.mark.parametrize("store_io", ["loop", "thread"])
def test_a_submit_gives_the_same_outcome_and_updates_wherever_the_store_works(
    tmp_path: Path, store_io: str
) -> None:
    statements, heard, status = _session(tmp_path, store_io)
    assert status == "FILLED"
    assert heard == [
        ("PENDING", SubmitState.NOT_SENT.value),
        ("PENDING", SubmitState.SENT.value),
        ("OPEN", SubmitState.ACKED.value),
        ("FILLED", SubmitState.ACKED.value),
    ]
    main = threading.get_ident()
    assert statements  # the trade wrote
    if store_io == "loop":
        assert set(statements) == {main}
    else:
        assert main not in set(statements)  # every statement ran on the worker thread
        assert len(set(statements)) == 1


def test_store_io_must_be_loop_or_thread() -> None:
    with pytest.raises(ValueError, match="store_io must be 'loop' or 'thread'"):
        paper_desk(start=T0, store_io="process")
