"""The usage example of ``orderdesk.venues.paper``'s docstring runs as written."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from orderdesk.clocks import ManualClock
from orderdesk.errors import OutcomeUnknown
from orderdesk.model import OrderStatus, OrderType, ReportKind, Side, SubmitRequest
from orderdesk.venues.paper import (
    Faults,
    LatencyModel,
    PaperConnector,
    PaperExchange,
    Replay,
    SyntheticFeed,
)
from tests.unit.paper_setup import BTC_USDT, START


def ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)


def test_the_documented_backtest_runs() -> None:
    seed = 1
    print(f"seed={seed}")
    market, start = BTC_USDT, START
    request = SubmitRequest("c1", "BTC_USDT", Side.BUY, OrderType.MARKET, Decimal("1"))

    clock = ManualClock(start)
    exchange = PaperExchange([market], clock=clock, seed=seed, latency=LatencyModel(ack=ms(5)))
    exchange.open_account("alice", {"USDT": Decimal("10000")}, faults=Faults(drop_reply=0.2))
    connector = PaperConnector(exchange, "alice")
    feed = SyntheticFeed(market, seed=seed, start=start, mid=Decimal("100")).events(10_000)
    replay = Replay(exchange, clock, feed)
    replay.advance(timedelta(seconds=1))
    try:
        result = asyncio.run(connector.submit(request))
        status = result.status
    except OutcomeUnknown:
        status = OrderStatus.PENDING  # the venue may have the order: in doubt
    replay.advance(ms(5))
    reports = connector.drain_reports()

    placed = exchange.query("alice", "BTC_USDT", client_order_id="c1")
    assert placed is not None
    assert status in (placed.status, OrderStatus.PENDING)
    assert reports[0].kind is ReportKind.ACK
    assert {r.kind for r in reports[1:]} <= {ReportKind.FILL, ReportKind.EXPIRED}
