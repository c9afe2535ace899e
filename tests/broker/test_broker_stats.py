"""broker.stats(window=...): execution quality of what the broker recorded."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal as D

import pytest

from orderdesk.testing.paper_desk import PaperDesk


def test_stats_over_a_window_rest_on_the_recorded_arrival_prices_and_fills() -> None:
    desk = PaperDesk()

    async def trade() -> None:
        await desk.broker.submit(desk.order("BUY", "0.5"))  # fills at the ask 95000.01
        await desk.broker.submit(desk.order("SELL", "0.5"))  # fills at the bid 94999.99
        resting = await desk.broker.submit(desk.order("BUY", "0.1", price="90000.00"))
        await desk.broker.cancel(resting.order_id)

    asyncio.run(trade())
    desk.step(timedelta(hours=2))
    stale = asyncio.run(desk.broker.stats(window="1h"))
    assert stale.groups == {}
    report = asyncio.run(desk.broker.stats(window="3h", group_by=["side"]))
    buy, sell = report.groups[("BUY",)], report.groups[("SELL",)]
    # Mid 95000.00: paying 95000.01 or receiving 94999.99 costs 0.01/95000 = 0.001053 bps.
    assert (buy.slippage_mean_bps, sell.slippage_mean_bps) == (D("0.001053"), D("0.001053"))
    assert (buy.orders, buy.fill_rate, buy.cancel_rate) == (2, D("0.500000"), D("0.500000"))
    assert report.end == desk.clock.now()
    assert report.start == desk.clock.now() - timedelta(hours=3)


def test_stats_refuse_a_window_and_explicit_bounds_together() -> None:
    desk = PaperDesk()
    with pytest.raises(ValueError, match="not both"):
        asyncio.run(desk.broker.stats(window="1h", start=desk.clock.now()))
