"""CcxtConnector passes the Connector contract, refused cancels included: ccxt's own binance
client, against a loopback server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderdesk.testing.connector_contract import (
    ConnectorContract,
    RefusedCancelContract,
    RefusingVenueHarness,
)
from orderdesk.testing.loopback import LoopbackHarness, LoopbackLevers, quiet_config
from orderdesk.venues.loopback import Secret, ccxt_urls, serve
from orderdesk.venues.paper import Faults

pytest.importorskip("ccxt")

from ccxt.async_support import binance as async_binance
from pydantic import SecretStr

from orderdesk.app import ccxt_connector
from orderdesk.model import OrderStatus, OrderType, ReportKind, Side, SubmitRequest
from orderdesk.venues.ccxt import CcxtConnector, Credentials

KEY, SECRET, ADMIN = "ccxt-contract-key", "ccxt-contract-secret", "ccxt-contract-admin"
ENVIRON = {"ORDERDESK_BINANCE_API_KEY": KEY, "ORDERDESK_BINANCE_SECRET": SECRET}
LOOPBACK_OPTIONS = {
    # The loopback venue serves spot only: skip the endpoints of other markets.
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    "fetchMargins": False,
}


@pytest.fixture(autouse=True)
def no_key_leaks(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Iterator[None]:
    """Run each case with DEBUG logging (root and ccxt's); the keys never show."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ccxt")
    yield
    out, err = capfd.readouterr()
    records = caplog.get_records("call")
    logged = "\n".join(caplog.handler.format(record) for record in records)
    text = logged + out + err
    assert (text.count(KEY), text.count(SECRET)) == (0, 0)
    assert ", Request: " in logged  # ccxt did log its requests (their headers among them)


@asynccontextmanager
async def ccxt_harness(faults: Faults | None = None) -> AsyncIterator[LoopbackHarness]:
    with tempfile.TemporaryDirectory() as directory:
        config = quiet_config(KEY, SECRET, ADMIN, faults)
        with serve(config, Path(directory) / "venue.db").start() as server:
            connector = ccxt_connector(
                "binance",
                sandbox=False,
                environ=ENVIRON,
                api_urls=ccxt_urls(server.url),
                config={"rateLimit": 5, "timeout_on_exit": 0, "options": LOOPBACK_OPTIONS},
                poll=timedelta(milliseconds=20),
                watch=False,  # the loopback venue has no websocket
            )
            async with connector:
                levers = LoopbackLevers(server.url, Secret(ADMIN))
                yield LoopbackHarness(connector, levers, server=server)


class TestCcxtConnector(RefusedCancelContract):
    def open_harness(
        self, faults: Faults | None = None
    ) -> AbstractAsyncContextManager[RefusingVenueHarness]:
        return ccxt_harness(faults)


class BellBinance(async_binance):  # type: ignore[misc]
    """ccxt's binance whose ``watch_orders`` returns when the test rings (no websocket)."""

    bell: asyncio.Event | None = None
    watched = 0

    async def watch_orders(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        BellBinance.watched += 1
        assert BellBinance.bell is not None
        await BellBinance.bell.wait()
        BellBinance.bell.clear()
        return []


def test_watch_orders_wakes_the_report_stream_at_once() -> None:
    async def case() -> list[tuple[ReportKind, OrderStatus]]:
        BellBinance.bell, BellBinance.watched = asyncio.Event(), 0
        with tempfile.TemporaryDirectory() as directory:
            config = quiet_config(KEY, SECRET, ADMIN)
            with serve(config, Path(directory) / "venue.db").start() as server:
                connector = CcxtConnector(
                    "binance", Credentials(SecretStr(KEY), SecretStr(SECRET)),
                    api_urls=ccxt_urls(server.url),
                    config={"rateLimit": 5, "timeout_on_exit": 0, "options": LOOPBACK_OPTIONS},
                    poll=timedelta(hours=1),  # only the bell can bring the fill in time
                    watch=True, exchange_class=BellBinance,
                )  # fmt: skip
                harness = LoopbackHarness(connector, LoopbackLevers(server.url, Secret(ADMIN)))
                async with connector:
                    await harness.set_market(harness.price, harness.price * 2)
                    request = ConnectorContract.limit(harness, "bell1", Side.BUY, harness.price)
                    await connector.submit(request)
                    stream = connector.reports()
                    ack = await asyncio.wait_for(anext(stream), 10)
                    waiting = asyncio.ensure_future(anext(stream))
                    await harness.trade_through(harness.price - Decimal("0.01"))
                    while BellBinance.watched == 0:  # the stream is parked on the bell
                        await asyncio.sleep(0)
                    BellBinance.bell.set()
                    fill = await asyncio.wait_for(waiting, 10)  # a safety net, not a timing
        return [(ack.kind, ack.status), (fill.kind, fill.status)]

    assert asyncio.run(case()) == [
        (ReportKind.ACK, OrderStatus.OPEN),
        (ReportKind.FILL, OrderStatus.FILLED),
    ]


def test_a_stop_limit_order_rests_until_the_market_reaches_its_stop() -> None:
    async def case() -> list[tuple[OrderStatus, Decimal] | None]:
        async with ccxt_harness() as harness:
            connector = harness.connector
            await harness.set_market(Decimal("94999.99"), Decimal("95000.01"))
            request = SubmitRequest(
                "stop1", "BTC_USDT", Side.BUY, OrderType.STOP_LIMIT, Decimal("0.01"),
                price=Decimal("96100.00"), stop_price=Decimal("96000.00"),
            )  # fmt: skip
            placed = await connector.submit(request)
            before = await connector.query("BTC_USDT", client_order_id="stop1")
            await harness.levers.trade("BTC_USDT", Decimal("96050.00"), Decimal("0.001"))
            after = await connector.query("BTC_USDT", client_order_id="stop1")
            return [
                (placed.status, Decimal(0)),
                None if before is None else (before.status, before.stop_price or Decimal(0)),
                None if after is None else (after.status, after.filled_quantity),
            ]

    assert asyncio.run(case()) == [
        (OrderStatus.OPEN, Decimal(0)),
        (OrderStatus.OPEN, Decimal("96000.00")),
        (OrderStatus.FILLED, Decimal("0.01")),
    ]


def test_the_mid_quote_is_the_arrival_price_source() -> None:
    async def case() -> tuple[Decimal | None, Decimal | None]:
        async with ccxt_harness() as harness:
            connector = harness.connector
            assert isinstance(connector, CcxtConnector)
            empty = await connector.mid_price("BTC_USDT")
            await harness.set_market(Decimal("94999.99"), Decimal("95000.02"))
            return empty, await connector.mid_price("BTC_USDT")

    assert asyncio.run(case()) == (None, Decimal("95000.005"))
