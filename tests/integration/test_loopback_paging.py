"""The loopback connector reads every order and fill, however many pages they take."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orderdesk.model import OrderStatus, OrderType, Side, SubmitRequest
from orderdesk.testing.loopback import LoopbackLevers, quiet_config
from orderdesk.venues.loopback import Secret, serve
from orderdesk.venues.loopback.client import LoopbackConnector

ORDERS = 1_100  # more than one page of 1,000


def test_closed_orders_and_fills_since_page_past_a_thousand(tmp_path: Path) -> None:
    config = quiet_config("page-key", "page-secret", "page-admin")
    with serve(config, tmp_path / "venue.db").start() as server:
        connector = LoopbackConnector(server.url, Secret("page-key"), Secret("page-secret"))
        levers = LoopbackLevers(server.url, Secret("page-admin"))
        since = datetime.now(UTC) - timedelta(seconds=1)

        async def go() -> tuple[int, int, set[str], set[str]]:
            await levers.quote("BTC_USDT", Decimal("94999.99"), Decimal("95000.01"), Decimal(100))
            for n in range(ORDERS):
                request = SubmitRequest(
                    client_order_id=f"page-{n}", symbol="BTC_USDT", side=Side.BUY,
                    order_type=OrderType.MARKET, quantity=Decimal("0.001"),
                )  # fmt: skip
                result = await connector.submit(request)
                assert result.status is OrderStatus.FILLED
            closed = await connector.closed_orders("BTC_USDT", since)
            fills = await connector.fills_since("BTC_USDT", since)
            return (
                len(closed),
                len(fills),
                {o.client_order_id for o in closed},
                {f.client_order_id for f in fills},
            )

        closed, fills, closed_ids, fill_ids = asyncio.run(go())
    expected = {f"page-{n}" for n in range(ORDERS)}
    assert (closed, fills) == (ORDERS, ORDERS)
    assert closed_ids == expected
    assert fill_ids == expected
