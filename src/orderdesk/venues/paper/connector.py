"""PaperConnector: one account's :class:`~orderdesk.ports.Connector` onto a PaperExchange.

This is the wire between a caller and the in-process venue, and where the wire faults of
:class:`~orderdesk.venues.paper.faults.Faults` happen: the caller sees exactly what a flaky
remote venue would show it (a dropped reply after an accepted order is an
:class:`~orderdesk.errors.OutcomeUnknown` while the order works at the venue).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import datetime

from orderdesk.clocks import ManualClock
from orderdesk.errors import NotSent, OutcomeUnknown
from orderdesk.model import (
    Balance,
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    Market,
    SubmitRequest,
    SubmitResult,
    VenueFill,
    VenueOrder,
)
from orderdesk.venues.paper.engine import Account
from orderdesk.venues.paper.exchange import PaperExchange
from orderdesk.venues.paper.faults import Faults, RateGate
from orderdesk.venues.paper.records import PaperOrder

__all__ = ["PaperConnector"]


class PaperConnector:
    """The ``Connector`` of ``account`` at ``exchange``."""

    __slots__ = ("_account", "_exchange", "_quiet", "_state")

    def __init__(self, exchange: PaperExchange, account: str) -> None:
        self._exchange = exchange
        self._account = account
        self._state: Account = exchange.account(account)
        # The account's faults and rate gate when last seen to have no wire fault at all.
        self._quiet: tuple[Faults, RateGate] | None = None

    def __repr__(self) -> str:
        return f"PaperConnector(venue={self._exchange.name!r}, account={self._account!r})"

    @property
    def name(self) -> str:
        """The venue's name."""
        return self._exchange.name

    @property
    def account(self) -> str:
        """The account this connector acts for."""
        return self._account

    # -- the wire --------------------------------------------------------------------------

    def _wire_is_quiet(self) -> bool:
        """Whether no wire fault, outage or rate limit can touch a request now (the account's
        faults may be replaced at any time: checked against the objects in place)."""
        state = self._state
        faults, gate = state.faults, state.gate
        quiet = self._quiet
        if quiet is not None and quiet[0] is faults and quiet[1] is gate:
            return True
        if (
            faults.outages
            or gate.limited
            or faults.refuse_connection
            or faults.drop_request
            or faults.drop_reply
            or faults.server_error
            or faults.timeout
        ):
            return False
        self._quiet = (faults, gate)
        return True

    def _admit(self, operation: str, *, order_entry: bool) -> None:
        """Pass the rate gate, and for order entry the faults before the venue."""
        state, venue = self._state, self._exchange.name
        now = self._exchange.clock.now()
        for start, end in state.faults.outages:
            if start <= now < end:
                raise NotSent(venue, operation, "connection refused (venue down)")
        state.gate.admit(venue, operation, now)
        if not order_entry and not state.faults.faulty_reads:
            return
        faults, rng = state.faults, state.rng
        if faults.refuse_connection and rng.random() < faults.refuse_connection:
            raise NotSent(venue, operation, "connection refused")
        if faults.drop_request and rng.random() < faults.drop_request:
            raise OutcomeUnknown(venue, operation, "timed out (request lost)")

    def _read_reply(self, operation: str) -> None:
        """Fail the reply of a read, when reads are faulty too."""
        if self._state.faults.faulty_reads:
            self._reply(operation)

    def _reply(self, operation: str) -> None:
        """Lose, fail or time out the reply of a request the venue has processed."""
        faults, rng, venue = self._state.faults, self._state.rng, self._exchange.name
        if faults.drop_reply and rng.random() < faults.drop_reply:
            raise OutcomeUnknown(venue, operation, "connection reset (reply lost)")
        if faults.server_error and rng.random() < faults.server_error:
            raise OutcomeUnknown(venue, operation, "HTTP 503 service unavailable")
        if faults.timeout and rng.random() < faults.timeout:
            raise OutcomeUnknown(venue, operation, "timed out")

    def _visible(self, order: PaperOrder) -> bool:
        lag = self._state.faults.not_found_lag
        return not lag or self._exchange.clock.now() >= order.created_at + lag

    # -- the port --------------------------------------------------------------------------

    async def markets(self) -> Mapping[str, Market]:
        """Return the venue's markets by symbol."""
        self._admit("markets", order_entry=False)
        self._read_reply("markets")
        return self._exchange.markets

    async def submit(self, request: SubmitRequest) -> SubmitResult:
        """Place ``request``; a rejection is returned, a transport failure raised."""
        if self._wire_is_quiet():
            return self._exchange.submit(self._account, request)
        self._admit("submit", order_entry=True)
        result = self._exchange.submit(self._account, request)
        self._reply("submit")
        return result

    async def cancel(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> CancelResult:
        """Cancel an order named by either id."""
        quiet = self._wire_is_quiet()
        if not quiet:
            self._admit("cancel", order_entry=True)
        exchange = self._exchange
        # Without a visibility lag every order the venue knows is visible: no look-up first.
        order = (
            exchange.find(
                self._account,
                symbol,
                client_order_id=client_order_id,
                venue_order_id=venue_order_id,
            )
            if self._state.faults.not_found_lag
            else None
        )
        if order is not None and not self._visible(order):
            result = CancelResult(
                CancelOutcome.NOT_FOUND,
                exchange.clock.now(),
                venue_order_id=venue_order_id,
                client_order_id=client_order_id,
            )
        else:
            result = exchange.cancel(
                self._account,
                symbol,
                client_order_id=client_order_id,
                venue_order_id=venue_order_id,
            )
        if not quiet:
            self._reply("cancel")
        return result

    async def query(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> VenueOrder | None:
        """Return the order named by either id, or ``None``."""
        self._admit("query", order_entry=False)
        order = self._exchange.find(
            self._account, symbol, client_order_id=client_order_id, venue_order_id=venue_order_id
        )
        self._read_reply("query")
        if order is None or not self._visible(order):
            return None
        return order.snapshot()

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        """Return the working orders, oldest first."""
        self._admit("open_orders", order_entry=False)
        orders = self._exchange.open_records(self._account, symbol)
        self._read_reply("open_orders")
        return [o.snapshot() for o in orders if self._visible(o)]

    async def closed_orders(self, symbol: str, since: datetime) -> list[VenueOrder]:
        """Return the orders of ``symbol`` finished at or after ``since``."""
        self._admit("closed_orders", order_entry=False)
        orders = self._exchange.closed_records(self._account, symbol, since)
        self._read_reply("closed_orders")
        return [o.snapshot() for o in orders if self._visible(o)]

    async def fills_since(self, symbol: str, since: datetime) -> list[VenueFill]:
        """Return the fills in ``symbol`` at or after ``since``."""
        self._admit("fills_since", order_entry=False)
        exchange = self._exchange
        fills = exchange.fills_since(self._account, symbol, since)
        self._read_reply("fills_since")
        if not self._state.faults.not_found_lag:
            return fills
        out = []
        for fill in fills:
            order = exchange.find(self._account, symbol, venue_order_id=fill.venue_order_id)
            if order is not None and self._visible(order):
                out.append(fill)
        return out

    async def balances(self) -> Mapping[str, Balance]:
        """Return the account's balances by asset."""
        self._admit("balances", order_entry=False)
        self._read_reply("balances")
        return self._exchange.balances(self._account)

    async def reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield execution reports as they fall due; wait while none is due.

        On a manual clock reports fall due when the clock moves and the exchange is told
        (:meth:`PaperExchange.advance`, which :class:`~orderdesk.venues.paper.feeds.Replay`
        calls); on the wall clock the stream wakes by itself when the next one is due.
        """
        wake = asyncio.Event()
        exchange = self._exchange
        clock = exchange.clock
        exchange.add_listener(wake.set)
        try:
            while True:
                wake.clear()  # before taking: a report queued after this wakes us
                batch = exchange.take_reports(self._account)
                if not batch:
                    due = exchange.next_report_due(self._account)
                    if due is None or isinstance(clock, ManualClock):
                        await wake.wait()  # a manual clock moves only when told
                        continue
                    # On the wall clock, wake by ourselves when the next report falls due.
                    delay = max((due - clock.now()).total_seconds(), 0.0)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), delay)
                    continue
                for report in batch:
                    yield report
        finally:
            exchange.remove_listener(wake.set)

    def drain_reports(self) -> list[ExecutionReport]:
        """Return the reports due now without waiting (for tests and synchronous drivers)."""
        return self._exchange.take_reports(self._account)
