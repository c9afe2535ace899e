"""The synchronous Broker has every public method of AsyncBroker that can be synchronous,
and those the README's Broker section lists (reconcile, stats, resolve, on_report) give
exactly what the AsyncBroker's give."""

from __future__ import annotations

import asyncio
import inspect
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from orderdesk import AsyncBroker, Broker, Order, paper_broker
from orderdesk.broker import OrderUpdate
from orderdesk.broker.reconcile import Difference, DifferenceKind, ReconcileReport
from orderdesk.clocks import ManualClock
from orderdesk.model import ExecutionGroup, OrderStatus, generate_order_id
from orderdesk.model.records import SubmitState
from orderdesk.model.venue import SubmitRequest
from orderdesk.stats.report import GroupStats

T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
GROUP = "EXG_20251201_145955_xyz789"


def _public(names: list[str]) -> set[str]:
    return {name for name in names if not name.startswith("_")}


def test_broker_has_every_public_async_broker_name_but_the_async_iterator() -> None:
    broker, _ = paper_broker()
    with broker:
        on_async = _public(dir(broker.core))  # the instance: alarms and resolutions too
        on_sync = _public(dir(broker))
    # updates() is an async iterator: it can only be consumed by `async for` on the loop.
    # A synchronous caller hears the same changes through subscribe(callback).
    assert on_async - on_sync == {"updates"}
    # Broker's own: its lifecycle and the AsyncBroker it drives.
    assert on_sync - on_async == {"around", "close", "core"}
    assert inspect.isasyncgenfunction(AsyncBroker.updates)


def test_every_coroutine_of_async_broker_is_a_plain_method_on_broker() -> None:
    coroutines = {
        name
        for name, member in inspect.getmembers(AsyncBroker, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }
    assert {"reconcile", "resolve", "stats", "status", "trace"} <= coroutines
    for name in coroutines:
        method = getattr(Broker, name)
        assert callable(method)
        assert not inspect.iscoroutinefunction(method), name


def _limit_buy() -> Order:
    return Order(
        parent_group_id=GROUP,
        symbol="BTC_USDT",
        side="BUY",
        order_type="LIMIT",
        quantity="0.1",
        price="94000.00",
        created_at=T0,
        updated_at=T0,
    )


def test_paper_broker_reconciles_applies_a_report_resolves_and_reports_stats() -> None:
    clock = ManualClock(T0)
    broker, venue = paper_broker(clock=clock)
    with broker:
        venue.on_quote("BTC_USDT", [(D("94999.99"), D("5"))], [(D("95000.01"), D("5"))])
        record = broker.submit(_limit_buy())
        assert (record.order.status, record.submit_state) == (OrderStatus.OPEN, SubmitState.ACKED)
        (ack,) = venue.take_reports("paper")
        assert broker.on_report(ack) == broker.get(record.order_id)  # a repeat: unchanged

        clock.advance(timedelta(seconds=5))
        venue.on_quote("BTC_USDT", [(D("93000.00"), D("5"))], [(D("93500.00"), D("5"))])
        dry = broker.reconcile(dry_run=True)
        assert dry == ReconcileReport(
            account="paper",
            venue="paper",
            at=T0 + timedelta(seconds=5),
            dry_run=True,
            differences=(
                Difference(
                    kind=DifferenceKind.BEHIND,
                    client_order_id=record.client_order_id,
                    order_id=record.order_id,
                    venue_order_id=record.order.connector_order_id,
                    ledger_status="OPEN",
                    venue_status="FILLED",
                    ledger_filled="0",
                    venue_filled="0.1",
                    action="record the venue's events",
                ),
            ),
        )
        assert broker.get(record.order_id) == record  # a dry run changes nothing

        (fill,) = venue.take_reports("paper")
        filled = broker.on_report(fill)
        assert filled is not None
        assert (filled.order.status, filled.filled_quantity, filled.fill_count) == (
            OrderStatus.FILLED,
            D("0.1"),
            1,
        )
        assert broker.on_report(fill) == filled  # the same report again changes nothing
        assert broker.on_reports([ack, fill]) == 2
        assert broker.reconcile(dry_run=True).differences == ()
        assert broker.resolve(record.order_id) == filled  # acked: nothing to resolve

        report = broker.stats(window="1h")
        assert (report.start, report.end, report.group_by) == (
            T0 + timedelta(seconds=5) - timedelta(hours=1),
            T0 + timedelta(seconds=5),
            (),
        )
        assert report.groups == {
            (): GroupStats(
                orders=1,
                slippage_count=1,
                slippage_mean_bps=D("-105.263158"),
                slippage_median_bps=D("-105.263158"),
                slippage_p90_bps=D("-105.263158"),
                slippage_p99_bps=D("-105.263158"),
                slippage_weighted_bps=D("-105.263158"),
                fill_time_count=1,
                fill_time_mean_s=D("5.000000"),
                fill_time_p50_s=D("5.000000"),
                fill_time_p90_s=D("5.000000"),
                fill_time_p99_s=D("5.000000"),
                fill_rate=D("1.000000"),
                cancel_rate=D("0.000000"),
                reject_rate=D("0.000000"),
                expiry_rate=D("0.000000"),
                outcomes={"FILLED": 1},
            )
        }


def test_resolve_adopts_an_in_doubt_order_the_venue_holds() -> None:
    clock = ManualClock(T0)
    broker, venue = paper_broker(clock=clock)
    with broker:
        venue.on_quote("BTC_USDT", [(D("94999.99"), D("5"))], [(D("95000.01"), D("5"))])
        order = _limit_buy()
        ledger = broker.ledger
        ledger.record_group(
            ExecutionGroup(
                group_id=GROUP,
                account="paper",
                strategy="s",
                symbol="BTC_USDT",
                side="BUY",
                created_at=T0,
            )
        )
        # A crash after the request left and before its reply was recorded.
        ledger.record_order("paper", order, venue="paper", client_order_id=order.order_id)
        ledger.set_submit_state("paper", order.order_id, SubmitState.SENT)
        ledger.set_submit_state("paper", order.order_id, SubmitState.IN_DOUBT)
        placed = venue.submit(
            "paper",
            SubmitRequest(
                client_order_id=order.order_id,
                symbol="BTC_USDT",
                side=order.side,
                order_type=order.order_type,
                quantity=order.quantity,
                price=order.price,
            ),
        )
        resolved = broker.resolve(order.order_id)
        assert (resolved.order.status, resolved.submit_state) == (
            OrderStatus.OPEN,
            SubmitState.ACKED,
        )
        assert resolved.order.connector_order_id == placed.venue_order_id
        assert broker.resolve(order.order_id) == resolved
        assert broker.on_report(venue.take_reports("paper")[0]) == resolved


def test_run_reports_records_the_stream_until_close_then_returns() -> None:
    clock = ManualClock(T0)
    broker, venue = paper_broker(clock=clock)
    heard = []
    recorded = threading.Event()

    def hear(update: OrderUpdate) -> None:
        heard.append((update.record.order.status, update.fill is not None))
        recorded.set()

    venue.on_quote("BTC_USDT", [(D("94999.99"), D("5"))], [(D("95000.01"), D("5"))])
    record = broker.submit(_limit_buy())
    venue.take_reports("paper")  # the ack the submit's reply already recorded
    clock.advance(timedelta(seconds=5))
    venue.on_quote("BTC_USDT", [(D("93000.00"), D("5"))], [(D("93500.00"), D("5"))])
    broker.subscribe(hear)

    # Daemon threads with generous joins: a regression fails here instead of hanging the run.
    stream = threading.Thread(target=broker.run_reports, daemon=True)
    stream.start()
    assert recorded.wait(timeout=60)
    closing = threading.Thread(target=broker.close, daemon=True)  # cancels the stream, which
    closing.start()  # would otherwise wait for the next report forever, and close with it
    closing.join(timeout=60)
    stream.join(timeout=60)

    assert (closing.is_alive(), stream.is_alive()) == (False, False)
    assert heard == [(OrderStatus.FILLED, True)]
    assert broker.core.ledger.get("paper", record.order_id).order.status is OrderStatus.FILLED


def test_a_call_runs_on_the_calling_thread_without_a_second_thread() -> None:
    broker, venue = paper_broker(clock=ManualClock(T0))
    threads: list[str] = []
    broker.subscribe(lambda _: threads.append(threading.current_thread().name))
    before = threading.active_count()
    venue.on_quote("BTC_USDT", [(D("93999.99"), D("5"))], [(D("94000.01"), D("5"))])
    record = broker.submit(_limit_buy())
    assert record.order.status is OrderStatus.OPEN
    assert set(threads) == {threading.current_thread().name}
    assert threading.active_count() == before
    broker.close()


def test_a_call_from_inside_a_running_event_loop_runs_the_brokers_loop_elsewhere() -> None:
    broker, venue = paper_broker(clock=ManualClock(T0))
    venue.on_quote("BTC_USDT", [(D("93999.99"), D("5"))], [(D("94000.01"), D("5"))])

    async def notebook_cell() -> OrderStatus:
        return broker.submit(_limit_buy()).order.status

    assert asyncio.run(notebook_cell()) is OrderStatus.OPEN
    assert broker.load("OPEN")[0].status is OrderStatus.OPEN
    broker.close()


def test_calls_from_many_threads_take_turns_and_lose_nothing() -> None:
    broker, venue = paper_broker(clock=ManualClock(T0))
    venue.on_quote("BTC_USDT", [(D("93999.99"), D("5"))], [(D("94000.01"), D("5"))])
    errors: list[BaseException] = []

    def trader() -> None:
        try:
            for _ in range(20):
                order = _limit_buy().model_copy(
                    update={"order_id": generate_order_id(T0), "quantity": D("0.001")}
                )
                broker.submit(order)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=trader) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert len(broker.load("OPEN")) == 80
    broker.close()
    with pytest.raises(RuntimeError, match="closed"):
        broker.get("ORD_20251201_150000_00000000")
