"""PaperExchange: the venue itself, synchronous and deterministic.

One instance holds markets, accounts with their wallets, every order and fill, and each
account's queue of execution reports. Callers reach it through
:class:`~orderdesk.venues.paper.connector.PaperConnector` (the async ``Connector`` of one
account, with its wire faults) or the loopback server; a backtest drives its market data with
:class:`~orderdesk.venues.paper.feeds.Replay`.

Determinism: time comes only from the injected clock, randomness only from ``random.Random``
seeded with ``seed`` (latency) and ``(seed, account)`` (faults); venue order ids and trade
ids are counters. The same seed, feed and requests give byte-identical reports.

Every asset is conserved: a fill against the feed's depth trades with the ``@house``
account (the rest of the market, allowed to go negative) and every fee goes to the fees
collected, so :meth:`PaperExchange.supply` never changes after the deposits.
"""

from __future__ import annotations

import heapq
import random
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from orderdesk.model import (
    Balance,
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    Liquidity,
    Market,
    OrderStatus,
    OrderType,
    RejectCode,
    ReportKind,
    SubmitRequest,
    SubmitResult,
    TimeInForce,
    VenueFill,
    VenueOrder,
)
from orderdesk.ports import Clock
from orderdesk.venues.paper.faults import Faults, RateGate
from orderdesk.venues.paper.fees import DEFAULT_FEES, FeeRates, FeeSchedule
from orderdesk.venues.paper.latency import LatencyModel
from orderdesk.venues.paper.matching import SymbolBook, Take
from orderdesk.venues.paper.outbox import Entry, Outbox
from orderdesk.venues.paper.records import OrderRecord, Wallet

__all__ = ["CLIENT_ORDER_ID", "HOUSE", "Account", "ClientIdScope", "PaperExchange"]

CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,36}")
"""Binance's client order id: 1-36 ASCII letters, digits, ``-`` and ``_``."""

HOUSE = "@house"
"""The account on the other side of every fill against the feed's depth."""

_ZERO = Decimal(0)
_MAKER, _TAKER = Liquidity.MAKER, Liquidity.TAKER
_FILLED, _PART = OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED
_CANCELLED, _EXPIRED = OrderStatus.CANCELLED, OrderStatus.EXPIRED
_MICROSECOND = timedelta(microseconds=1)


class ClientIdScope(StrEnum):
    """How long a client order id stays taken at the venue."""

    OPEN = "OPEN"  # only while the order works (Binance spot): a resend of a filled order passes
    FOREVER = "FOREVER"


class Account:
    """One account at the venue: wallets, tier, faults and the state behind its queries."""

    __slots__ = (
        "closed",
        "faults",
        "fills",
        "gate",
        "name",
        "open",
        "outbox",
        "pending_fills",
        "rates",
        "rng",
        "seq",
        "wallets",
    )

    def __init__(self, name: str, rates: FeeRates, faults: Faults, rng: random.Random) -> None:
        self.name = name
        self.rates = rates
        self.faults = faults
        self.rng = rng
        self.gate = RateGate(faults)
        self.wallets: dict[str, Wallet] = {}
        self.open: dict[str, OrderRecord] = {}
        self.closed: dict[str, list[OrderRecord]] = {}
        self.fills: dict[str, list[VenueFill]] = {}
        self.outbox = Outbox()
        self.pending_fills: dict[str, list[Entry]] = {}
        self.seq = 0

    def wallet(self, asset: str) -> Wallet:
        """Return the wallet of ``asset``, creating an empty one."""
        wallet = self.wallets.get(asset)
        if wallet is None:
            wallet = self.wallets[asset] = Wallet()
        return wallet


class PaperExchange:
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
    ) -> None:
        self.name = name
        self.client_id_scope = client_id_scope
        self.fees = fees
        self.latency = latency or LatencyModel()
        self._clock = clock
        self._seed = seed
        self._rng = random.Random(seed)
        self._markets = {market.symbol: market for market in markets}
        self._books = {symbol: SymbolBook(market) for symbol, market in self._markets.items()}
        self._accounts: dict[str, Account] = {}
        self._orders: dict[str, OrderRecord] = {}
        self._by_client: dict[tuple[str, str], OrderRecord] = {}
        self._expiries: list[tuple[datetime, int, OrderRecord]] = []
        self._order_seq = 0
        self._trade_seq: dict[str, int] = dict.fromkeys(self._markets, 0)
        self._fees_collected: dict[str, Decimal] = {}
        self._listeners: list[Callable[[], None]] = []
        self._now = clock.now()
        self._house = self._open(HOUSE, Faults())

    # -- set-up ----------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The clock the venue reads."""
        return self._clock

    @property
    def markets(self) -> Mapping[str, Market]:
        """The markets by symbol."""
        return self._markets

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

    def _open(self, name: str, faults: Faults, tier: str | None = None) -> Account:
        rates = self.fees.rates(tier or self.fees.default_tier)
        account = Account(name, rates, faults, random.Random(f"{self._seed}:{name}"))
        self._accounts[name] = account
        return account

    def account(self, name: str) -> Account:
        """Return account ``name``; raise ``KeyError`` if it does not exist."""
        return self._accounts[name]

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever reports may have become due."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        """Stop calling ``callback``."""
        self._listeners.remove(callback)

    # -- order entry -----------------------------------------------------------------------

    def submit(self, account: str, request: SubmitRequest) -> SubmitResult:
        """Validate, accept and match ``request`` for ``account``; a refusal is a result."""
        now = self._tick()
        acct = self._accounts[account]
        book = self._books.get(request.symbol)
        if book is None:
            return _rejected(request, now, RejectCode.UNKNOWN_SYMBOL, "unknown symbol")
        code, text = self._validate(acct, book, request, now)
        if code is not None:
            return _rejected(request, now, code, text)
        market = book.market
        buying = request.side.value == "BUY"
        plan: list[Take] | None = None
        if request.order_type is OrderType.MARKET:
            plan = book.plan_take(buying=buying, quantity=request.quantity, limit=None)
            need = sum((t.price * t.quantity for t in plan), _ZERO) if buying else request.quantity
        else:
            assert request.price is not None
            need = request.quantity * request.price if buying else request.quantity
        wallet = acct.wallet(market.quote_asset if buying else market.base_asset)
        if wallet.free < need:
            return _rejected(request, now, RejectCode.INSUFFICIENT_BALANCE, "insufficient balance")
        self._order_seq += 1
        order = OrderRecord(str(self._order_seq), account, request, now)
        wallet.free -= need
        wallet.locked += need
        order.reserved = need
        self._orders[order.venue_order_id] = order
        self._by_client[account, request.client_order_id] = order
        acct.open[order.venue_order_id] = order
        fills = acct.fills.setdefault(order.symbol, [])
        first_fill = len(fills)
        faults = acct.faults
        ack = self._report(acct, order, ReportKind.ACK)
        ack_delay = self.latency.ack_delay(self._rng)
        hold_ack = faults.fill_before_ack and acct.rng.random() < faults.fill_before_ack
        if not hold_ack:
            self._schedule(acct, order, ack, ack_delay)
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
        self._notify()
        made = tuple(f for f in fills[first_fill:] if f.venue_order_id == order.venue_order_id)
        return SubmitResult(
            client_order_id=request.client_order_id,
            status=order.status,
            at=now,
            venue_order_id=order.venue_order_id,
            fills=made,
        )

    def _validate(
        self, acct: Account, book: SymbolBook, request: SubmitRequest, now: datetime
    ) -> tuple[RejectCode | None, str]:
        if CLIENT_ORDER_ID.fullmatch(request.client_order_id) is None:
            return RejectCode.INVALID_CLIENT_ORDER_ID, "client order id is not [A-Za-z0-9_-]{1,36}"
        known = self._by_client.get((acct.name, request.client_order_id))
        if known is not None and (self.client_id_scope is ClientIdScope.FOREVER or known.is_open):
            return RejectCode.DUPLICATE_CLIENT_ORDER_ID, "duplicate client order id"
        if request.expire_at is not None and request.expire_at <= now:
            return RejectCode.INVALID_ORDER, "expire_at has already passed"
        market = book.market
        if request.stop_price is not None and request.stop_price % market.tick_size:
            return RejectCode.PRICE_NOT_ON_TICK, "stop price is not a multiple of the tick size"
        code = market.violation(request.quantity, request.price)
        if code is None and request.order_type is OrderType.MARKET:
            reference = book.reference_price(buying=request.side.value == "BUY")
            if reference is not None and request.quantity * reference < market.min_notional:
                code = RejectCode.BELOW_MIN_NOTIONAL
        if code is not None:
            return code, f"filter failure: {code.value}"
        return None, ""

    def cancel(
        self,
        account: str,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> CancelResult:
        """Cancel an order of ``account``: CANCELLED, TOO_LATE (finished) or NOT_FOUND."""
        now = self._tick()
        acct = self._accounts[account]
        order = self._find(account, symbol, client_order_id, venue_order_id)
        if order is None:
            return CancelResult(
                CancelOutcome.NOT_FOUND,
                now,
                venue_order_id=venue_order_id,
                client_order_id=client_order_id,
            )
        faults = acct.faults
        if order.is_open and faults.cancel_too_late and acct.rng.random() < faults.cancel_too_late:
            # The fill wins the race: the rest of the order executes at its limit price.
            order.triggered = True
            self._maker_fill(order, order.quantity - order.filled)
        if not order.is_open:
            self._notify()
            return CancelResult(
                CancelOutcome.TOO_LATE,
                now,
                order.venue_order_id,
                order.client_order_id,
                order.status,
            )
        entry = self._close(order, _CANCELLED)
        if faults.fill_after_cancel and acct.rng.random() < faults.fill_after_cancel:
            self._fills_after(acct, order, entry)
        acct.pending_fills.pop(order.venue_order_id, None)
        self._notify()
        return CancelResult(
            CancelOutcome.CANCELLED, now, order.venue_order_id, order.client_order_id, _CANCELLED
        )

    def _fills_after(self, acct: Account, order: OrderRecord, cancel: Entry | None) -> None:
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

    def find(
        self,
        account: str,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> OrderRecord | None:
        """Return the venue's record of an order of ``account``, or ``None``."""
        self._tick()
        return self._find(account, symbol, client_order_id, venue_order_id)

    def _find(
        self, account: str, symbol: str, client_order_id: str | None, venue_order_id: str | None
    ) -> OrderRecord | None:
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
        """Return a snapshot of an order of ``account``, or ``None`` if unknown."""
        order = self.find(
            account, symbol, client_order_id=client_order_id, venue_order_id=venue_order_id
        )
        return None if order is None else order.snapshot()

    def open_records(self, account: str, symbol: str | None = None) -> list[OrderRecord]:
        """Return the working orders of ``account``, oldest first."""
        self._tick()
        orders = self._accounts[account].open.values()
        return [o for o in orders if symbol is None or o.symbol == symbol]

    def closed_records(self, account: str, symbol: str, since: datetime) -> list[OrderRecord]:
        """Return the orders of ``account`` in ``symbol`` that finished at or after ``since``."""
        self._tick()
        closed = self._accounts[account].closed.get(symbol, [])
        start = bisect_left(closed, since, key=_closed_at)
        return closed[start:]

    def fills_since(self, account: str, symbol: str, since: datetime) -> list[VenueFill]:
        """Return the fills of ``account`` in ``symbol`` at or after ``since``, oldest first."""
        self._tick()
        fills = self._accounts[account].fills.get(symbol, [])
        return fills[bisect_left(fills, since, key=_executed_at) :]

    def balances(self, account: str) -> dict[str, Balance]:
        """Return the balances of ``account`` by asset."""
        wallets = self._accounts[account].wallets
        return {a: Balance(a, w.free, w.locked) for a, w in sorted(wallets.items())}

    def take_reports(self, account: str) -> list[ExecutionReport]:
        """Remove and return the reports of ``account`` due by now, in delivery order."""
        return self._accounts[account].outbox.take_due(self._clock.now())

    def next_report_due(self, account: str) -> datetime | None:
        """Return when the next queued report of ``account`` falls due, if any."""
        return self._accounts[account].outbox.next_due()

    def supply(self) -> dict[str, Decimal]:
        """Return every asset's total over all accounts (the house too) plus fees collected."""
        total: dict[str, Decimal] = dict(self._fees_collected)
        for account in self._accounts.values():
            for asset, wallet in account.wallets.items():
                total[asset] = total.get(asset, _ZERO) + wallet.free + wallet.locked
        return dict(sorted(total.items()))

    def fees_collected(self) -> dict[str, Decimal]:
        """Return the fees the venue has charged, by asset."""
        return dict(sorted(self._fees_collected.items()))

    # -- market data and time --------------------------------------------------------------

    def on_quote(
        self,
        symbol: str,
        bids: Iterable[tuple[Decimal, Decimal]],
        asks: Iterable[tuple[Decimal, Decimal]],
    ) -> None:
        """Replace the feed's depth of ``symbol`` (best first) and match what it crosses."""
        self._tick()
        book = self._books[symbol]
        book.feed_bids = [[p, q] for p, q in bids]
        book.feed_asks = [[p, q] for p, q in asks]
        for order, quantity in book.cross_quote():
            self._maker_fill(order, quantity)
        self._trigger(book, book.best_feed(bid=False), book.best_feed(bid=True))
        self._notify()

    def on_trade(self, symbol: str, price: Decimal, quantity: Decimal) -> None:
        """Record a market trade print and fill the resting orders it crosses."""
        self._tick()
        book = self._books[symbol]
        book.last_price = price
        for order, filled in book.cross_trade(price, quantity):
            self._maker_fill(order, filled)
        self._trigger(book, price, price)
        self._notify()

    def advance(self) -> None:
        """Catch up with the clock: expire GTD orders and release reports now due."""
        self._tick()
        self._notify()

    def _tick(self) -> datetime:
        now = self._now = self._clock.now()
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            order = heapq.heappop(expiries)[2]
            if order.is_open:
                self._close(order, _EXPIRED)
        return now

    def _trigger(self, book: SymbolBook, high: Decimal | None, low: Decimal | None) -> None:
        for order in book.triggered_stops(high, low):
            order.triggered = True
            self._work(order, book, None)

    # -- matching and settlement -----------------------------------------------------------

    def _work(self, order: OrderRecord, book: SymbolBook, plan: list[Take] | None) -> None:
        """Match a live order as a taker, then rest, expire or finish what is left."""
        if plan is None:
            limit = order.price if order.order_type is not OrderType.MARKET else None
            plan = book.plan_take(buying=order.is_buy, quantity=order.remaining, limit=limit)
        tif = order.time_in_force
        if tif is TimeInForce.FOK and sum((t.quantity for t in plan), _ZERO) < order.remaining:
            self._close(order, _EXPIRED)
            return
        for take in plan:
            trade_id = self._trade_id(order.symbol)
            maker = take.maker
            if maker is None:
                level = take.level
                assert level is not None
                level[1] -= take.quantity
                self._house_trade(book.market, order.is_buy, take.quantity, take.price)
            else:
                self._fill(maker, take.quantity, take.price, _MAKER, trade_id)
            self._fill(order, take.quantity, take.price, _TAKER, trade_id)
        if not order.is_open:
            return
        if order.order_type is OrderType.MARKET or not order.is_resting_kind:
            self._close(order, _EXPIRED)  # IOC/FOK/market remainder: Binance says EXPIRED
            return
        (book.bids if order.is_buy else book.asks).add(order)
        order.resting = True

    def _maker_fill(self, order: OrderRecord, quantity: Decimal) -> None:
        """Fill a working order at its own price against the house."""
        price = order.price
        assert price is not None
        market = self._markets[order.symbol]
        self._house_trade(market, order.is_buy, quantity, price)
        self._fill(order, quantity, price, _MAKER, self._trade_id(order.symbol))

    def _trade_id(self, symbol: str) -> str:
        self._trade_seq[symbol] += 1
        return str(self._trade_seq[symbol])

    def _house_trade(
        self, market: Market, user_buys: bool, quantity: Decimal, price: Decimal
    ) -> None:
        house = self._house
        base, quote = house.wallet(market.base_asset), house.wallet(market.quote_asset)
        if user_buys:
            base.free -= quantity
            quote.free += quantity * price
        else:
            base.free += quantity
            quote.free -= quantity * price

    def _fill(
        self,
        order: OrderRecord,
        quantity: Decimal,
        price: Decimal,
        liquidity: Liquidity,
        trade_id: str,
    ) -> None:
        acct = self._accounts[order.account]
        market = self._markets[order.symbol]
        notional = quantity * price
        base = acct.wallet(market.base_asset)
        quote = acct.wallet(market.quote_asset)
        if order.is_buy:
            # A limit buy locked quantity x limit price; the price paid may be better.
            locked = notional if order.order_type is OrderType.MARKET else quantity * order.price  # type: ignore[operator]
            quote.locked -= locked
            quote.free += locked - notional
            order.reserved -= locked
            fee = self.fees.fee(acct.rates, liquidity, quantity)
            base.free += quantity - fee
            fee_asset = market.base_asset
        else:
            base.locked -= quantity
            order.reserved -= quantity
            fee = self.fees.fee(acct.rates, liquidity, notional)
            quote.free += notional - fee
            fee_asset = market.quote_asset
        collected = self._fees_collected
        collected[fee_asset] = collected.get(fee_asset, _ZERO) + fee
        order.filled += quantity
        order.notional += notional
        order.updated_at = self._now
        order.status = _FILLED if order.filled == order.quantity else _PART
        fill = VenueFill(
            trade_id=trade_id,
            venue_order_id=order.venue_order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fee=fee,
            fee_asset=fee_asset,
            liquidity=liquidity,
            executed_at=self._now,
        )
        acct.fills.setdefault(order.symbol, []).append(fill)
        entry = self._schedule(
            acct,
            order,
            self._report(acct, order, ReportKind.FILL, fill),
            self.latency.report_delay(self._rng),
        )
        if acct.faults.fill_after_cancel:
            acct.pending_fills.setdefault(order.venue_order_id, []).append(entry)
        if order.status is _FILLED:
            self._close(order, _FILLED)

    def _close(self, order: OrderRecord, status: OrderStatus) -> Entry | None:
        """Finish ``order``: out of the book, reservation released; report unless filled."""
        acct = self._accounts[order.account]
        order.status = status
        order.closed_at = order.updated_at = self._now
        if order.resting:
            book = self._books[order.symbol]
            (book.bids if order.is_buy else book.asks).remove(order)
            order.resting = False
        if order.reserved:
            market = self._markets[order.symbol]
            wallet = acct.wallet(market.quote_asset if order.is_buy else market.base_asset)
            wallet.locked -= order.reserved
            wallet.free += order.reserved
            order.reserved = _ZERO
        del acct.open[order.venue_order_id]
        acct.closed.setdefault(order.symbol, []).append(order)
        if status is _FILLED:
            acct.pending_fills.pop(order.venue_order_id, None)
            return None
        kind = ReportKind.CANCELLED if status is _CANCELLED else ReportKind.EXPIRED
        report = self._report(acct, order, kind)
        if status is _EXPIRED:
            acct.pending_fills.pop(order.venue_order_id, None)
        return self._schedule(acct, order, report, self.latency.report_delay(self._rng))

    # -- reports ---------------------------------------------------------------------------

    def _report(
        self, acct: Account, order: OrderRecord, kind: ReportKind, fill: VenueFill | None = None
    ) -> ExecutionReport:
        acct.seq += 1
        return ExecutionReport(
            seq=acct.seq,
            kind=kind,
            at=self._now,
            venue_order_id=order.venue_order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            status=OrderStatus.OPEN if kind is ReportKind.ACK else order.status,
            filled_quantity=_ZERO if kind is ReportKind.ACK else order.filled,
            fill=fill,
        )

    def _schedule(
        self, acct: Account, order: OrderRecord, report: ExecutionReport, delay: timedelta
    ) -> Entry:
        due = self._now + delay
        faults = acct.faults
        if faults.reorder_reports and acct.rng.random() < faults.reorder_reports:
            # Held back without moving the order's watermark: later reports overtake it.
            window = faults.reorder_window // _MICROSECOND
            due += _MICROSECOND * (1 + acct.rng.randrange(max(window, 1)))
        else:
            due = max(due, order.last_due)  # jitter never reorders one order's reports
            order.last_due = due
        entry = acct.outbox.push(due, report)
        if faults.duplicate_reports and acct.rng.random() < faults.duplicate_reports:
            acct.outbox.push(due, report)
        return entry

    def _notify(self) -> None:
        for callback in self._listeners:
            callback()


def _rejected(request: SubmitRequest, at: datetime, code: RejectCode, text: str) -> SubmitResult:
    return SubmitResult(
        client_order_id=request.client_order_id,
        status=OrderStatus.REJECTED,
        at=at,
        reject_code=code,
        reason=text,
    )


def _closed_at(order: OrderRecord) -> datetime:
    assert order.closed_at is not None
    return order.closed_at


def _executed_at(fill: VenueFill) -> datetime:
    return fill.executed_at
