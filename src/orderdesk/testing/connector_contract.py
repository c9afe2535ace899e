"""The contract every :class:`~orderdesk.ports.Connector` passes.

Subclass :class:`ConnectorContract` in a test module and implement :meth:`open_harness`,
which yields a :class:`VenueHarness`: a connector to a venue the test can also move (quote,
trade through a price) and let time pass on. PaperExchange passes it in process; the ccxt
connector passes it against the loopback server.

A connector whose venue answers a cancel it did not carry out with a bare "no" (Binance's
``-2011``) also passes :class:`RefusedCancelContract`: the harness can make the venue refuse
every cancel, and open the venue with :class:`~orderdesk.venues.paper.Faults`. Both
Binance-speaking connectors (the loopback client and ccxt's) pass it against the loopback
server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import pytest

from orderdesk.errors import OutcomeUnknown
from orderdesk.model import (
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    OrderStatus,
    OrderType,
    ReportKind,
    Side,
    SubmitRequest,
)
from orderdesk.ports import Connector
from orderdesk.venues.paper import Faults

__all__ = ["ConnectorContract", "RefusedCancelContract", "RefusingVenueHarness", "VenueHarness"]


class VenueHarness(Protocol):
    """A connector plus the levers a test needs on the venue behind it."""

    @property
    def connector(self) -> Connector:
        """The connector under test."""
        ...

    @property
    def symbol(self) -> str:
        """A symbol whose base and quote the account holds plenty of."""
        ...

    @property
    def price(self) -> Decimal:
        """A price near the market, on the tick."""
        ...

    @property
    def quantity(self) -> Decimal:
        """A quantity that passes the filters at ``price``, on the step."""
        ...

    @property
    def started(self) -> datetime:
        """A time no later than the harness's first order."""
        ...

    async def set_market(self, bid: Decimal, ask: Decimal) -> None:
        """Make the venue's best bid and ask these, with depth of 100 x ``quantity``."""
        ...

    async def trade_through(self, price: Decimal) -> None:
        """Make the market trade through ``price`` (filling resting orders there)."""
        ...

    async def settle(self) -> None:
        """Let time pass so every report due is delivered."""
        ...


Case = Callable[[VenueHarness], Awaitable[None]]


class ConnectorContract:
    """Behaviour every Connector shows. Subclass and implement :meth:`open_harness`."""

    def open_harness(self) -> AbstractAsyncContextManager[VenueHarness]:
        """Return a context yielding a fresh harness (a fresh account at a fresh venue)."""
        raise NotImplementedError

    def run(self, case: Case) -> None:
        """Run ``case`` against a fresh harness."""

        async def main() -> None:
            async with self.open_harness() as harness:
                await case(harness)

        asyncio.run(main())

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def limit(h: VenueHarness, cid: str, side: Side, price: Decimal) -> SubmitRequest:
        """Return a LIMIT request of the harness's quantity."""
        return SubmitRequest(cid, h.symbol, side, OrderType.LIMIT, h.quantity, price=price)

    @staticmethod
    async def reports_of(h: VenueHarness, cid: str, count: int) -> list[ExecutionReport]:
        """Read the stream until ``count`` reports of ``cid`` arrived (safety timeout 10 s)."""
        out: list[ExecutionReport] = []
        stream: AsyncIterator[ExecutionReport] = h.connector.reports()

        async def read() -> None:
            async for report in stream:
                if report.client_order_id == cid:
                    out.append(report)
                    if len(out) == count:
                        return

        await asyncio.wait_for(read(), 10)
        return out

    # -- the contract ----------------------------------------------------------------------

    def test_markets_name_the_symbol_with_its_filters(self) -> None:
        async def case(h: VenueHarness) -> None:
            market = (await h.connector.markets())[h.symbol]
            assert market.symbol == h.symbol
            assert market.tick_size > 0
            assert market.step_size > 0
            assert market.violation(h.quantity, h.price) is None

        self.run(case)

    def test_limit_order_away_from_the_market_rests_and_is_found_by_either_id(self) -> None:
        async def case(h: VenueHarness) -> None:
            await h.set_market(h.price, h.price * 2)
            result = await h.connector.submit(self.limit(h, "rest1", Side.BUY, h.price / 2))
            assert result.accepted
            assert result.status is OrderStatus.OPEN
            assert result.venue_order_id is not None
            by_client = await h.connector.query(h.symbol, client_order_id="rest1")
            by_venue = await h.connector.query(h.symbol, venue_order_id=result.venue_order_id)
            assert by_client is not None
            assert by_venue is not None
            assert by_client.venue_order_id == by_venue.venue_order_id
            assert by_client.status is OrderStatus.OPEN
            assert by_client.quantity == h.quantity
            listed = await h.connector.open_orders(h.symbol)
            assert [o.client_order_id for o in listed] == ["rest1"]

        self.run(case)

    def test_a_working_client_id_cannot_be_used_twice(self) -> None:
        async def case(h: VenueHarness) -> None:
            await h.set_market(h.price, h.price * 2)
            await h.connector.submit(self.limit(h, "dup1", Side.BUY, h.price / 2))
            again = await h.connector.submit(self.limit(h, "dup1", Side.BUY, h.price / 2))
            assert again.status is OrderStatus.REJECTED
            assert again.reject_code is not None
            assert len(await h.connector.open_orders(h.symbol)) == 1

        self.run(case)

    def test_cancel_ends_a_working_order_and_cannot_end_it_twice(self) -> None:
        async def case(h: VenueHarness) -> None:
            await h.set_market(h.price, h.price * 2)
            await h.connector.submit(self.limit(h, "cx1", Side.BUY, h.price / 2))
            first = await h.connector.cancel(h.symbol, client_order_id="cx1")
            second = await h.connector.cancel(h.symbol, client_order_id="cx1")
            order = await h.connector.query(h.symbol, client_order_id="cx1")
            assert first.outcome is CancelOutcome.CANCELLED
            assert second.outcome in (CancelOutcome.TOO_LATE, CancelOutcome.NOT_FOUND)
            assert order is not None
            assert order.status is OrderStatus.CANCELLED
            assert await h.connector.open_orders(h.symbol) == []
            closed = await h.connector.closed_orders(h.symbol, h.started)
            assert [o.client_order_id for o in closed] == ["cx1"]

        self.run(case)

    def test_a_resting_buy_locks_its_quote_until_cancelled(self) -> None:
        async def case(h: VenueHarness) -> None:
            market = (await h.connector.markets())[h.symbol]
            await h.set_market(h.price, h.price * 2)
            before = (await h.connector.balances())[market.quote_asset]
            price = h.price / 2
            await h.connector.submit(self.limit(h, "lock1", Side.BUY, price))
            locked = (await h.connector.balances())[market.quote_asset]
            await h.connector.cancel(h.symbol, client_order_id="lock1")
            after = (await h.connector.balances())[market.quote_asset]
            assert locked.locked - before.locked == h.quantity * price
            assert locked.total == before.total
            assert (after.free, after.locked) == (before.free, before.locked)

        self.run(case)

    def test_an_unknown_order_is_not_found(self) -> None:
        async def case(h: VenueHarness) -> None:
            assert await h.connector.query(h.symbol, client_order_id="never") is None
            result = await h.connector.cancel(h.symbol, client_order_id="never")
            assert result.outcome is CancelOutcome.NOT_FOUND

        self.run(case)

    def test_an_order_breaking_a_filter_is_rejected_with_a_code(self) -> None:
        async def case(h: VenueHarness) -> None:
            market = (await h.connector.markets())[h.symbol]
            off_tick = h.price + market.tick_size / 2
            result = await h.connector.submit(self.limit(h, "bad1", Side.BUY, off_tick))
            assert result.status is OrderStatus.REJECTED
            assert result.reject_code is not None
            assert await h.connector.query(h.symbol, client_order_id="bad1") is None

        self.run(case)

    def test_market_buy_fills_and_its_fills_and_balances_show_it(self) -> None:
        async def case(h: VenueHarness) -> None:
            market = (await h.connector.markets())[h.symbol]
            await h.set_market(h.price, h.price + market.tick_size)
            before = (await h.connector.balances())[market.base_asset].total
            request = SubmitRequest("mkt1", h.symbol, Side.BUY, OrderType.MARKET, h.quantity)
            result = await h.connector.submit(request)
            await h.settle()
            assert result.accepted
            fills = [
                f
                for f in await h.connector.fills_since(h.symbol, h.started)
                if f.client_order_id == "mkt1"
            ]
            assert sum(f.quantity for f in fills) == h.quantity
            order = await h.connector.query(h.symbol, client_order_id="mkt1")
            assert order is not None
            assert order.status is OrderStatus.FILLED
            after = (await h.connector.balances())[market.base_asset].total
            fees = sum(f.fee for f in fills if f.fee_asset == market.base_asset)
            assert after - before == h.quantity - fees

        self.run(case)

    def test_a_resting_order_fills_when_the_market_trades_through_it(self) -> None:
        async def case(h: VenueHarness) -> None:
            market = (await h.connector.markets())[h.symbol]
            await h.set_market(h.price, h.price * 2)
            await h.connector.submit(self.limit(h, "rf1", Side.BUY, h.price))
            await h.trade_through(h.price - market.tick_size)
            await h.settle()
            reports = await self.reports_of(h, "rf1", 2)
            assert [r.kind for r in reports] == [ReportKind.ACK, ReportKind.FILL]
            assert reports[-1].status is OrderStatus.FILLED
            order = await h.connector.query(h.symbol, client_order_id="rf1")
            assert order is not None
            assert order.status is OrderStatus.FILLED
            assert order.filled_quantity == h.quantity

        self.run(case)


class RefusingVenueHarness(VenueHarness, Protocol):
    """A harness whose venue can be made to refuse cancels."""

    def refusing_cancels(self) -> AbstractContextManager[None]:
        """While inside, the venue answers every cancel with its "unknown order" refusal
        and leaves the order as it is."""
        ...


RefusingCase = Callable[[RefusingVenueHarness], Awaitable[None]]


def _settled(result: CancelResult) -> CancelResult:
    """``result`` without its time, which is the connector's clock: compare the rest."""
    return replace(result, at=datetime.min)


class RefusedCancelContract(ConnectorContract):
    """How a connector settles a cancel its venue refused: it asks for the order by the
    same ids; nothing there is NOT_FOUND, a finished order TOO_LATE with its status, and a
    working one settles nothing (``OutcomeUnknown``, so the cancel is retried).

    Subclass and implement :meth:`open_harness`; the subclass passes
    :class:`ConnectorContract` too.
    """

    def open_harness(
        self, faults: Faults | None = None
    ) -> AbstractAsyncContextManager[RefusingVenueHarness]:
        """Return a context yielding a fresh harness whose account has ``faults``."""
        raise NotImplementedError

    def run_refusing(self, case: RefusingCase, faults: Faults | None = None) -> None:
        """Run ``case`` against a fresh harness whose account has ``faults``."""

        async def main() -> None:
            async with self.open_harness(faults) as harness:
                await case(harness)

        asyncio.run(main())

    def test_a_refused_cancel_of_a_working_order_settles_nothing(self) -> None:
        async def case(h: RefusingVenueHarness) -> None:
            await h.set_market(h.price, h.price * 2)
            placed = await h.connector.submit(self.limit(h, "rw1", Side.BUY, h.price / 2))
            with h.refusing_cancels():
                for ids in ({"client_order_id": "rw1"}, {"venue_order_id": placed.venue_order_id}):
                    with pytest.raises(OutcomeUnknown) as caught:
                        await h.connector.cancel(h.symbol, **ids)
                    assert (caught.value.venue, caught.value.operation) == (
                        h.connector.name,
                        "cancel",
                    )
                    assert caught.value.detail.startswith("refused while the order works: ")
            working = await h.connector.query(h.symbol, client_order_id="rw1")
            assert working is not None
            assert working.status is OrderStatus.OPEN
            assert [o.client_order_id for o in await h.connector.open_orders(h.symbol)] == ["rw1"]
            result = await h.connector.cancel(h.symbol, client_order_id="rw1")
            assert (result.outcome, result.venue_order_id, result.client_order_id) == (
                CancelOutcome.CANCELLED,
                placed.venue_order_id,
                "rw1",
            )

        self.run_refusing(case)

    def test_a_refused_cancel_of_an_order_the_venue_does_not_know_is_not_found(self) -> None:
        async def case(h: RefusingVenueHarness) -> None:
            with h.refusing_cancels():
                by_client = await h.connector.cancel(h.symbol, client_order_id="nowhere1")
                by_venue = await h.connector.cancel(h.symbol, venue_order_id="987654321")
            assert _settled(by_client) == CancelResult(
                CancelOutcome.NOT_FOUND, datetime.min, None, "nowhere1", None
            )
            assert _settled(by_venue) == CancelResult(
                CancelOutcome.NOT_FOUND, datetime.min, "987654321", None, None
            )

        self.run_refusing(case)

    def test_a_refused_cancel_of_a_filled_order_is_too_late_with_its_status(self) -> None:
        async def case(h: RefusingVenueHarness) -> None:
            market = (await h.connector.markets())[h.symbol]
            await h.set_market(h.price, h.price * 2)
            placed = await h.connector.submit(self.limit(h, "rf2", Side.BUY, h.price))
            await h.trade_through(h.price - market.tick_size)
            await h.settle()
            with h.refusing_cancels():
                by_client = await h.connector.cancel(h.symbol, client_order_id="rf2")
                by_venue = await h.connector.cancel(h.symbol, venue_order_id=placed.venue_order_id)
            expected = CancelResult(
                CancelOutcome.TOO_LATE,
                datetime.min,
                placed.venue_order_id,
                "rf2",
                OrderStatus.FILLED,
            )
            assert (_settled(by_client), _settled(by_venue)) == (expected, expected)

        self.run_refusing(case)

    def test_a_second_cancel_is_too_late_and_names_the_order_cancelled(self) -> None:
        async def case(h: RefusingVenueHarness) -> None:
            await h.set_market(h.price, h.price * 2)
            placed = await h.connector.submit(self.limit(h, "rc1", Side.BUY, h.price / 2))
            first = await h.connector.cancel(h.symbol, client_order_id="rc1")
            second = await h.connector.cancel(h.symbol, client_order_id="rc1")
            assert first.outcome is CancelOutcome.CANCELLED
            assert _settled(second) == CancelResult(
                CancelOutcome.TOO_LATE,
                datetime.min,
                placed.venue_order_id,
                "rc1",
                OrderStatus.CANCELLED,
            )

        self.run_refusing(case)

    def test_a_fill_that_wins_the_race_with_the_cancel_makes_it_too_late(self) -> None:
        async def case(h: RefusingVenueHarness) -> None:
            await h.set_market(h.price, h.price * 2)
            placed = await h.connector.submit(self.limit(h, "race1", Side.BUY, h.price / 2))
            result = await h.connector.cancel(h.symbol, client_order_id="race1")
            await h.settle()
            assert _settled(result) == CancelResult(
                CancelOutcome.TOO_LATE,
                datetime.min,
                placed.venue_order_id,
                "race1",
                OrderStatus.FILLED,
            )
            fills = await h.connector.fills_since(h.symbol, h.started)
            assert [(f.client_order_id, f.quantity, f.price) for f in fills] == [
                ("race1", h.quantity, h.price / 2)
            ]

        self.run_refusing(case, Faults(cancel_too_late=1.0))
