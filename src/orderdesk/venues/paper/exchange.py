"""PaperExchange: the venue's request API on top of its engine.

One instance holds markets, accounts with their wallets, every order and fill, and each
account's queue of execution reports. Callers reach it through
:class:`~orderdesk.venues.paper.connector.PaperConnector` (the async ``Connector`` of one
account, with its wire faults) or the loopback server; a backtest drives its market data with
:class:`~orderdesk.venues.paper.feeds.Replay`. Matching, settlement and reports live in
:mod:`orderdesk.venues.paper.engine`.

Balances: a working order locks what it may spend, released as it fills and on its end
(cancel, expiry): a buy locks quantity x limit price (a market buy, the exact cost of its
walk of the book), a sell its quantity. Fees are charged in the asset received, so nothing
more is locked. A submit that the free balance cannot cover is rejected.

Time in force: IOC and FOK orders and market orders never rest; what they cannot fill at
once expires (EXPIRED, as Binance reports it); a FOK that cannot fill completely expires
without a fill. GTD orders expire at ``expire_at``.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, getcontext, setcontext
from enum import StrEnum

from orderdesk.model import (
    TERMINAL_STATUSES,
    Balance,
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    Market,
    OrderStatus,
    OrderType,
    RejectCode,
    ReportKind,
    Side,
    SubmitRequest,
    SubmitResult,
    VenueFill,
    VenueOrder,
)
from orderdesk.ports import Clock
from orderdesk.venues.paper.engine import HOUSE, VENUE_CONTEXT, Account, Engine, exact
from orderdesk.venues.paper.faults import Faults
from orderdesk.venues.paper.fees import DEFAULT_FEES, FeeSchedule
from orderdesk.venues.paper.ids import session_id_base
from orderdesk.venues.paper.latency import LatencyModel
from orderdesk.venues.paper.matching import Step, SymbolBook
from orderdesk.venues.paper.outbox import Entry
from orderdesk.venues.paper.records import PaperOrder
from orderdesk.venues.paper.values import cancel_result, execution_report, submit_result

__all__ = ["CLIENT_ORDER_ID", "HOUSE", "ClientIdScope", "PaperExchange"]

CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9._:/-]{1,36}")
"""Binance's client order id: 1-36 ASCII letters, digits and ``._:/-``."""

_client_order_id = CLIENT_ORDER_ID.fullmatch
_ZERO = Decimal(0)
_CANCELLED, _REJECTED = OrderStatus.CANCELLED, OrderStatus.REJECTED
_TERMINAL = TERMINAL_STATUSES
_BUY = Side.BUY
_MARKET = OrderType.MARKET
_ACK = ReportKind.ACK
_OPEN = OrderStatus.OPEN
_NO_DELAY = timedelta(0)


class ClientIdScope(StrEnum):
    """How long a client order id stays taken at the venue."""

    OPEN = "OPEN"  # only while the order works (Binance spot): a resend of a filled order passes
    FOREVER = "FOREVER"


class PaperExchange(Engine):
    """A simulated spot venue with a real matching engine."""

    def __init__(
        self,
        markets: Iterable[Market],
        *,
        clock: Clock,
        seed: int = 0,
        fees: FeeSchedule = DEFAULT_FEES,
        latency: LatencyModel | None = None,
        client_id_scope: ClientIdScope = ClientIdScope.OPEN,
        name: str = "paper",
        id_base: int | None = None,
    ) -> None:
        """``id_base``: order and trade ids count up from ``id_base + 1``. By default each
        exchange takes a base of its own (:func:`~orderdesk.venues.paper.ids.session_id_base`),
        so that the sessions one ledger records never share an id; pass ``0`` for ids from
        1, as a test that names them does."""
        super().__init__(
            markets,
            clock=clock,
            seed=seed,
            fees=fees,
            latency=latency or LatencyModel(),
            id_base=session_id_base() if id_base is None else id_base,
        )
        self.name = name
        self.client_id_scope = client_id_scope
        self._orders: dict[str, PaperOrder] = {}
        self._by_client: dict[tuple[str, str], PaperOrder] = {}
        self._order_seq = self.id_base

    # -- accounts --------------------------------------------------------------------------

    @exact
    def open_account(
        self,
        name: str,
        deposits: Mapping[str, Decimal],
        *,
        tier: str | None = None,
        faults: Faults | None = None,
    ) -> None:
        """Create account ``name`` holding ``deposits``, on fee ``tier``, with ``faults``."""
        if name in self._accounts:
            raise ValueError(f"account {name!r} already exists")
        account = self._open(name, faults or Faults(), tier)
        for asset, amount in deposits.items():
            if type(amount) is not Decimal or amount < 0:
                raise ValueError(f"deposit of {asset} must be a Decimal >= 0")
            account.wallet(asset).free += amount

    def account(self, name: str) -> Account:
        """Return account ``name``; raise ``KeyError`` if it does not exist."""
        return self._accounts[name]

    # -- order entry -----------------------------------------------------------------------

    def submit(self, account: str, request: SubmitRequest) -> SubmitResult:
        """Validate, accept and match ``request`` for ``account``; a refusal is a result."""
        saved = getcontext()
        setcontext(VENUE_CONTEXT)
        try:
            return self._submit(account, request)
        finally:
            setcontext(saved)

    def _submit(self, account: str, request: SubmitRequest) -> SubmitResult:
        now = self._now = self._clock.now()
        if self._expiries and self._expiries[0][0] <= now:
            self._expire(now)
        acct = self._accounts[account]
        book = self._books.get(request.symbol)
        if book is None:
            return _rejected(request, now, RejectCode.UNKNOWN_SYMBOL, "unknown symbol")
        refused = self._validate(acct, book, request, now)
        if refused is not None:
            return _rejected(request, now, *refused)
        market = book.market
        buying = request.side is _BUY
        plan: list[Step] | None = None
        if request.order_type is _MARKET:
            plan = book.plan(buying, request.quantity, None, account)
            need = sum([step[2] * step[3] for step in plan], _ZERO) if buying else request.quantity
        else:
            assert request.price is not None
            need = request.quantity * request.price if buying else request.quantity
        asset = market.quote_asset if buying else market.base_asset
        wallet = acct.wallets.get(asset) or acct.wallet(asset)
        if wallet.free < need:
            return _rejected(request, now, RejectCode.INSUFFICIENT_BALANCE, "insufficient balance")
        self._order_seq = seq = self._order_seq + 1
        venue_order_id = str(seq)
        order = PaperOrder(venue_order_id, acct, market, request, now)
        wallet.free -= need
        wallet.locked += need
        order.reserved = need
        self._orders[venue_order_id] = order
        self._by_client[account, request.client_order_id] = order
        acct.open[venue_order_id] = order
        fills = order.symbol_fills
        first_fill = len(fills)
        ack, ack_delay, hold_ack = self._acknowledge(acct, order, now)
        if order.expire_at is not None:
            heapq.heappush(self._expiries, (order.expire_at, self._order_seq, order))
        if order.triggered or book.would_trigger(order):
            order.triggered = True
            self._work(order, book, plan)
        else:
            book.add_stop(order)
        if hold_ack:
            # The ACK goes out after whatever this submit produced: "fill before ack".
            acct.outbox.push(max(order.last_due, now + ack_delay), ack)
        if self._listeners:
            self._notify()
        made: tuple[VenueFill, ...] = ()
        if len(fills) > first_fill:
            made = tuple([f for f in fills[first_fill:] if f.venue_order_id == venue_order_id])
        return submit_result(
            request.client_order_id, order.status, now, venue_order_id, None, "", made
        )

    def _acknowledge(
        self, acct: Account, order: PaperOrder, now: datetime
    ) -> tuple[ExecutionReport, timedelta, bool]:
        """Queue the ACK of a new order, unless the account holds ACKs back behind fills;
        return the ACK, its delay and whether it was held back."""
        acct.seq = seq = acct.seq + 1
        ack = execution_report(
            seq,
            _ACK,
            now,
            order.venue_order_id,
            order.client_order_id,
            order.symbol,
            _OPEN,
            _ZERO,
            None,
        )
        faults = acct.faults
        latency = self.latency
        if latency is self._quiet:
            hold = faults.fill_before_ack and acct.rng.random() < faults.fill_before_ack
            if not hold:
                if faults.reorder_reports or faults.duplicate_reports:
                    self._schedule(acct, order, ack, _NO_DELAY)
                else:
                    acct.outbox.push(now, ack)  # the first report of the order: due now
            return ack, _NO_DELAY, bool(hold)
        delay = latency.ack_delay(self._rng)
        hold = faults.fill_before_ack and acct.rng.random() < faults.fill_before_ack
        if not hold:
            self._schedule(acct, order, ack, delay)
        return ack, delay, bool(hold)

    def _validate(
        self, acct: Account, book: SymbolBook, request: SubmitRequest, now: datetime
    ) -> tuple[RejectCode, str] | None:
        if _client_order_id(request.client_order_id) is None:
            return (
                RejectCode.INVALID_CLIENT_ORDER_ID,
                "client order id is not [A-Za-z0-9._:/-]{1,36}",
            )
        known = self._by_client.get((acct.name, request.client_order_id))
        if known is not None and (
            self.client_id_scope is ClientIdScope.FOREVER or known.status not in _TERMINAL
        ):
            return RejectCode.DUPLICATE_CLIENT_ORDER_ID, "duplicate client order id"
        if request.expire_at is not None and request.expire_at <= now:
            return RejectCode.INVALID_ORDER, "expire_at has already passed"
        market = book.market
        if request.stop_price is not None and request.stop_price % market.tick_size:
            return RejectCode.PRICE_NOT_ON_TICK, "stop price is not a multiple of the tick size"
        code = market.violation(request.quantity, request.price)
        if code is None and request.order_type is _MARKET:
            reference = book.reference_price(buying=request.side is _BUY)
            if reference is not None and request.quantity * reference < market.min_notional:
                code = RejectCode.BELOW_MIN_NOTIONAL
        if code is not None:
            return code, f"filter failure: {code.value}"
        return None

    def cancel(
        self,
        account: str,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> CancelResult:
        """Cancel an order of ``account``: CANCELLED, TOO_LATE (finished) or NOT_FOUND."""
        saved = getcontext()
        setcontext(VENUE_CONTEXT)
        try:
            return self._cancel(account, symbol, client_order_id, venue_order_id)
        finally:
            setcontext(saved)

    def _cancel(
        self, account: str, symbol: str, client_order_id: str | None, venue_order_id: str | None
    ) -> CancelResult:
        now = self._tick()
        acct = self._accounts[account]
        order = self._find(account, symbol, client_order_id, venue_order_id)
        if order is None:
            return cancel_result(
                CancelOutcome.NOT_FOUND, now, venue_order_id, client_order_id, None
            )
        faults = acct.faults
        if (
            faults.cancel_too_late
            and order.status not in _TERMINAL
            and acct.rng.random() < faults.cancel_too_late
        ):
            # The fill wins the race: the rest of the order executes at its limit price.
            order.triggered = True
            self._maker_fill(order, order.quantity - order.filled)
        if order.status in _TERMINAL:
            if self._listeners:
                self._notify()
            return cancel_result(
                CancelOutcome.TOO_LATE,
                now,
                order.venue_order_id,
                order.client_order_id,
                order.status,
            )
        entry = self._close(order, _CANCELLED)
        if faults.fill_after_cancel and acct.rng.random() < faults.fill_after_cancel:
            self._fills_after(acct, order, entry)
        if acct.pending_fills:
            acct.pending_fills.pop(order.venue_order_id, None)
        if self._listeners:
            self._notify()
        return cancel_result(
            CancelOutcome.CANCELLED, now, order.venue_order_id, order.client_order_id, _CANCELLED
        )

    def _fills_after(self, acct: Account, order: PaperOrder, cancel: Entry | None) -> None:
        if cancel is None:
            return
        due = cancel[0]
        assert isinstance(due, datetime)
        for entry in acct.pending_fills.get(order.venue_order_id, ()):
            if entry[3]:
                entry[3] = False
                report = entry[2]
                assert isinstance(report, ExecutionReport)
                acct.outbox.push(due, report)

    # -- reads -----------------------------------------------------------------------------

    @exact
    def find(
        self,
        account: str,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> PaperOrder | None:
        """Return the venue's record of an order of ``account``, or ``None``."""
        self._tick()
        return self._find(account, symbol, client_order_id, venue_order_id)

    def _find(
        self, account: str, symbol: str, client_order_id: str | None, venue_order_id: str | None
    ) -> PaperOrder | None:
        if venue_order_id is not None:
            order = self._orders.get(venue_order_id)
            if order is not None and client_order_id not in (None, order.client_order_id):
                return None
        elif client_order_id is not None:
            order = self._by_client.get((account, client_order_id))
        else:
            raise ValueError("name the order by client_order_id or venue_order_id")
        if order is None or order.account != account or order.symbol != symbol:
            return None  # another account's order is not found, never visible
        return order

    def query(
        self,
        account: str,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> VenueOrder | None:
        """Return a snapshot of an order of ``account``, or ``None`` if unknown.

        By client id it is the latest order under that id: with ``ClientIdScope.OPEN`` one id
        can name several orders, one after another finished.
        """
        order = self.find(
            account, symbol, client_order_id=client_order_id, venue_order_id=venue_order_id
        )
        return None if order is None else order.snapshot()

    @exact
    def open_records(self, account: str, symbol: str | None = None) -> list[PaperOrder]:
        """Return the working orders of ``account``, oldest first."""
        self._tick()
        orders = self._accounts[account].open.values()
        return [o for o in orders if symbol is None or o.symbol == symbol]

    @exact
    def closed_records(self, account: str, symbol: str, since: datetime) -> list[PaperOrder]:
        """Return the orders of ``account`` in ``symbol`` that finished at or after ``since``."""
        self._tick()
        closed = self._accounts[account].closed.get(symbol, [])
        start = bisect_left(closed, since, key=_closed_at)
        return closed[start:]

    @exact
    def fills_since(self, account: str, symbol: str, since: datetime) -> list[VenueFill]:
        """Return the fills of ``account`` in ``symbol`` at or after ``since``, oldest first."""
        self._tick()
        fills = self._accounts[account].fills.get(symbol, [])
        return fills[bisect_left(fills, since, key=_executed_at) :]

    def balances(self, account: str) -> dict[str, Balance]:
        """Return the balances of ``account`` by asset."""
        wallets = self._accounts[account].wallets
        return {a: Balance(a, w.free, w.locked) for a, w in sorted(wallets.items())}

    @exact
    def take_reports(self, account: str) -> list[ExecutionReport]:
        """Remove and return the reports of ``account`` due by now, in delivery order."""
        return self._accounts[account].outbox.take_due(self._tick())

    def next_report_due(self, account: str) -> datetime | None:
        """Return when the next queued report of ``account`` falls due, if any."""
        return self._accounts[account].outbox.next_due()


def _rejected(request: SubmitRequest, at: datetime, code: RejectCode, text: str) -> SubmitResult:
    return submit_result(request.client_order_id, _REJECTED, at, None, code, text, ())


def _closed_at(order: PaperOrder) -> datetime:
    assert order.closed_at is not None
    return order.closed_at


def _executed_at(fill: VenueFill) -> datetime:
    return fill.executed_at
