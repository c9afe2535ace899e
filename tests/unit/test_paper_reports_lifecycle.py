"""Reports through the lifecycle: whatever the faults do to the stream, applying every report
to a domain Order ends in the venue's own status and fills."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import timedelta

from orderdesk.errors import OutcomeUnknown
from orderdesk.model import (
    Order,
    OrderFills,
    OrderType,
    Side,
    SubmitRequest,
    TimeInForce,
    apply,
    generate_order_id,
    to_event,
)
from orderdesk.venues.paper import Faults, LatencyModel, PaperConnector, Replay, SyntheticFeed
from tests.unit.paper_setup import BTC_USDT, START, D, venue

HOSTILE = Faults(
    drop_reply=0.1,
    duplicate_reports=0.3,
    duplicate_copies=2,
    reorder_reports=0.3,
    reorder_window=timedelta(milliseconds=500),
    fill_before_ack=0.3,
    fill_after_cancel=1.0,
    cancel_too_late=0.1,
)


def test_every_report_applied_in_delivery_order_reaches_the_venues_state() -> None:
    seed = 424242
    print(f"seed={seed}")
    latency = LatencyModel(report=timedelta(milliseconds=20), jitter=timedelta(milliseconds=30))
    exchange, clock = venue(seed=seed, faults=HOSTILE, latency=latency)
    feed = SyntheticFeed(BTC_USDT, seed=seed, start=START, mid=D("100"), trade_probability=0.6)
    replay = Replay(exchange, clock, feed.events(5_000))
    connector = PaperConnector(exchange, "alice")
    rng = random.Random(seed)
    orders: dict[str, tuple[Order, OrderFills]] = {}

    async def trade() -> None:
        for n in range(600):
            replay.advance(timedelta(milliseconds=50))
            if rng.random() < 0.3 and orders:
                cid = rng.choice(sorted(orders))
                with contextlib.suppress(OutcomeUnknown):  # the cancel may have happened
                    await connector.cancel("BTC_USDT", client_order_id=cid)
                continue
            market = rng.random() < 0.2
            request = SubmitRequest(
                client_order_id=f"c{n}",
                symbol="BTC_USDT",
                side=rng.choice([Side.BUY, Side.SELL]),
                order_type=OrderType.MARKET if market else OrderType.LIMIT,
                quantity=D("0.001") * rng.randint(10, 300),
                price=None if market else D("0.01") * rng.randint(9_980, 10_020),
                time_in_force=rng.choice([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
            )
            order = Order.model_validate(
                {
                    "order_id": generate_order_id(clock.now()),
                    "parent_group_id": "EXG_20251201_150000_a1b2c3d4",
                    "symbol": "BTC_USDT",
                    "side": request.side.value,
                    "order_type": request.order_type.value,
                    "quantity": request.quantity,
                    "price": request.price,
                    "time_in_force": request.time_in_force.value,
                    "created_at": clock.now(),
                    "updated_at": clock.now(),
                }
            )
            orders[request.client_order_id] = (order, OrderFills(order.quantity))
            with contextlib.suppress(OutcomeUnknown):  # the venue has it: its reports say so
                await connector.submit(request)

    asyncio.run(trade())
    replay.advance(timedelta(seconds=5))  # everything held back is delivered by now
    reports = connector.drain_reports()
    for report in reports:
        order, fills = orders[report.client_order_id]
        apply(order, fills, to_event(report, order.order_id))
    seqs = [r.seq for r in reports]

    mismatches = []
    for cid, (order, fills) in orders.items():
        placed = exchange.query("alice", "BTC_USDT", client_order_id=cid)
        if placed is None:  # refused by the venue: no reports, nothing to compare
            assert order.status.value == "PENDING"
            continue
        if (order.status, fills.filled_quantity) != (placed.status, placed.filled_quantity):
            mismatches.append((cid, order.status, placed.status))
    assert mismatches == []
    statuses = {o.status.value for o, _ in orders.values()}
    assert statuses >= {"OPEN", "FILLED", "CANCELLED", "EXPIRED"}
    partly_then_ended = [
        o for o, f in orders.values() if o.status.is_terminal and 0 < f.filled_quantity < o.quantity
    ]
    assert partly_then_ended  # partial fills followed by a cancel or an expiry were exercised
    assert len(seqs) > len(set(seqs))  # duplicates were delivered
    assert seqs != sorted(seqs)  # and reports were reordered
