"""The engine of the paper venue: matching, settlement, expiry and execution reports.

Determinism: time comes only from the injected clock, randomness only from ``random.Random``
seeded with ``seed`` (latency) and ``(seed, account)`` (faults); venue order ids and trade
ids are counters. The same seed, feed and requests give byte-identical reports.

Every asset is conserved: a fill against the feed's depth trades with the ``@house``
account (the rest of the market, allowed to go negative) and every fee goes to the fees
collected, so :meth:`Engine.supply` never changes after the deposits.
"""

from __future__ import annotations

import functools
import heapq
import random
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import (
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    getcontext,
    setcontext,
)
from typing import ParamSpec, TypeVar

from orderdesk.model import (
    TERMINAL_STATUSES,
    ExecutionReport,
    Liquidity,
    Market,
    OrderStatus,
    OrderType,
    ReportKind,
    TimeInForce,
    VenueFill,
)
from orderdesk.ports import Clock
from orderdesk.venues.paper.faults import Faults, RateGate
from orderdesk.venues.paper.fees import FEE_CONTEXT, FeeRates, FeeSchedule
from orderdesk.venues.paper.latency import LatencyModel
from orderdesk.venues.paper.matching import Step, SymbolBook
from orderdesk.venues.paper.outbox import Entry, Outbox
from orderdesk.venues.paper.records import PaperOrder, Wallet
from orderdesk.venues.paper.values import execution_report, venue_fill

__all__ = ["EXACT", "HOUSE", "VENUE_CONTEXT", "Account", "Engine", "exact"]

HOUSE = "@house"
"""The account on the other side of every fill against the feed's depth."""

EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
"""The venue's arithmetic: wide enough for the product of any two NUMERIC(38, 18) values, and
any rounding is an error, never a silent change of money (fees round on purpose, alone)."""

VENUE_CONTEXT = EXACT.copy()
"""The context the venue's methods run in: :data:`EXACT`'s settings, never the caller's."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def exact(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``method`` under :data:`EXACT`, whatever the caller's decimal context; the
    caller's context is back in place when it returns or raises."""

    @functools.wraps(method)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        saved = getcontext()
        setcontext(VENUE_CONTEXT)
        try:
            return method(*args, **kwargs)
        finally:
            setcontext(saved)

    return run


_ZERO = Decimal(0)
_MAKER, _TAKER = Liquidity.MAKER, Liquidity.TAKER
_FILLED, _PART = OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED
_CANCELLED, _EXPIRED = OrderStatus.CANCELLED, OrderStatus.EXPIRED
_OPEN = OrderStatus.OPEN
_ACK, _FILL = ReportKind.ACK, ReportKind.FILL
_CANCELLED_REPORT, _EXPIRED_REPORT = ReportKind.CANCELLED, ReportKind.EXPIRED
_MARKET = OrderType.MARKET
_GTC, _GTD, _FOK = TimeInForce.GTC, TimeInForce.GTD, TimeInForce.FOK
_MICROSECOND = timedelta(microseconds=1)
_NO_DELAY = timedelta(0)
_QUIET = LatencyModel()
_fee_times = FEE_CONTEXT.multiply


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
        "settlement",
        "wallets",
    )

    def __init__(self, name: str, rates: FeeRates, faults: Faults, rng: random.Random) -> None:
        self.name = name
        self.rates = rates
        self.faults = faults
        self.rng = rng
        self.gate = RateGate(faults)
        self.wallets: dict[str, Wallet] = {}
        self.open: dict[str, PaperOrder] = {}
        self.closed: dict[str, list[PaperOrder]] = {}
        self.fills: dict[str, list[VenueFill]] = {}
        self.outbox = Outbox()
        self.pending_fills: dict[str, list[Entry]] = {}
        self.seq = 0
        self.settlement: dict[str, Settlement] = {}

    def wallet(self, asset: str) -> Wallet:
        """Return the wallet of ``asset``, creating an empty one."""
        wallet = self.wallets.get(asset)
        if wallet is None:
            wallet = self.wallets[asset] = Wallet()
        return wallet

    def settles(self, market: Market) -> Settlement:
        """Return the base and quote wallets and the fills of ``market``, creating them."""
        found = self.settlement.get(market.symbol)
        if found is None:
            found = self.settlement[market.symbol] = (
                self.wallet(market.base_asset),
                self.wallet(market.quote_asset),
                self.fills.setdefault(market.symbol, []),
            )
        return found


Settlement = tuple[Wallet, Wallet, list[VenueFill]]
"""What an order of one market settles into: base wallet, quote wallet, the fills list."""


class Engine:
    """Matching, settlement and reports: what the venue does on its own."""

    def __init__(
        self,
        markets: Iterable[Market],
        *,
        clock: Clock,
        seed: int,
        fees: FeeSchedule,
        latency: LatencyModel,
        id_base: int,
    ) -> None:
        self.fees = fees
        self.id_base = id_base
        self.latency = latency
        self._latent = latency != _QUIET  # no delays to draw: skip the calls
        # The model given, if it has no delays: while it is still in place, ACKs are not drawn.
        self._quiet: LatencyModel | None = None if self._latent else latency
        self._clock = clock
        self._seed = seed
        self._rng = random.Random(seed)
        self._markets = {market.symbol: market for market in markets}
        self._books = {symbol: SymbolBook(market) for symbol, market in self._markets.items()}
        self._accounts: dict[str, Account] = {}
        self._expiries: list[tuple[datetime, int, PaperOrder]] = []
        self._trade_seq: dict[str, int] = dict.fromkeys(self._markets, id_base)
        self._fees_collected: dict[str, Decimal] = {}
        self._listeners: list[Callable[[], None]] = []
        self._now = clock.now()
        self._house = self._open(HOUSE, Faults())
        self._house_wallets: dict[str, tuple[Wallet, Wallet]] = {}

    # -- set-up ------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The clock the venue reads."""
        return self._clock

    @property
    def markets(self) -> Mapping[str, Market]:
        """The markets by symbol."""
        return self._markets

    def book(self, symbol: str) -> SymbolBook:
        """Return the matching state of ``symbol`` (for inspection; do not change it)."""
        return self._books[symbol]

    def best_quote(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """Return the feed's best bid and ask of ``symbol`` (``None`` where a side is empty)."""
        book = self._books[symbol]
        return book.best_feed(bid=True), book.best_feed(bid=False)

    def _open(self, name: str, faults: Faults, tier: str | None = None) -> Account:
        rates = self.fees.rates(tier or self.fees.default_tier)
        account = Account(name, rates, faults, random.Random(f"{self._seed}:{name}"))
        self._accounts[name] = account
        return account

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever reports may have become due."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        """Stop calling ``callback``."""
        self._listeners.remove(callback)

    # -- market data and time --------------------------------------------------------------

    def on_quote(
        self,
        symbol: str,
        bids: Iterable[tuple[Decimal, Decimal]],
        asks: Iterable[tuple[Decimal, Decimal]],
    ) -> None:
        """Replace the feed's depth of ``symbol`` (best first) and match what it crosses."""
        saved = getcontext()
        setcontext(VENUE_CONTEXT)
        try:
            self._on_quote(symbol, bids, asks)
        finally:
            setcontext(saved)

    def _on_quote(
        self,
        symbol: str,
        bids: Iterable[tuple[Decimal, Decimal]],
        asks: Iterable[tuple[Decimal, Decimal]],
    ) -> None:
        self._tick()
        book = self._books[symbol]
        book.feed_bids = [[p, q] for p, q in bids]
        book.feed_asks = [[p, q] for p, q in asks]
        if book.bids.prices or book.asks.prices:
            for order, quantity in book.cross_quote():
                self._maker_fill(order, quantity)
        # The best ask and bid left (as best_feed finds them), for the stops.
        high = low = None
        for price, quantity in book.feed_asks:
            if quantity > 0:
                high = price
                break
        for price, quantity in book.feed_bids:
            if quantity > 0:
                low = price
                break
        if book.buy_stops or book.sell_stops:
            self._trigger(book, high, low)
        if self._listeners:
            self._notify()

    def on_trade(self, symbol: str, price: Decimal, quantity: Decimal) -> None:
        """Record a market trade print and fill the resting orders it crosses."""
        saved = getcontext()
        setcontext(VENUE_CONTEXT)
        try:
            self._on_trade(symbol, price, quantity)
        finally:
            setcontext(saved)

    def _on_trade(self, symbol: str, price: Decimal, quantity: Decimal) -> None:
        self._tick()
        book = self._books[symbol]
        book.last_price = price
        if book.bids.prices or book.asks.prices:
            for order, filled in book.cross_trade(price, quantity):
                self._maker_fill(order, filled)
        if book.buy_stops or book.sell_stops:
            self._trigger(book, price, price)
        if self._listeners:
            self._notify()

    @exact
    def advance(self) -> None:
        """Catch up with the clock: expire GTD orders and release reports now due."""
        self._tick()
        self._notify()

    def _tick(self) -> datetime:
        now = self._now = self._clock.now()
        if self._expiries and self._expiries[0][0] <= now:
            self._expire(now)
        return now

    def _expire(self, now: datetime) -> None:
        """Expire the GTD orders due by ``now``."""
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            order = heapq.heappop(expiries)[2]
            if order.status not in TERMINAL_STATUSES:
                self._close(order, _EXPIRED)

    def _trigger(self, book: SymbolBook, high: Decimal | None, low: Decimal | None) -> None:
        for order in book.triggered_stops(high, low):
            order.triggered = True
            self._work(order, book, None)

    # -- matching and settlement -----------------------------------------------------------

    def _work(self, order: PaperOrder, book: SymbolBook, plan: list[Step] | None) -> None:
        """Match a live order as a taker, then rest, expire or finish what is left."""
        buying = order.is_buy
        if plan is None:
            limit = order.price if order.order_type is not _MARKET else None
            plan = book.plan(buying, order.quantity - order.filled, limit, order.account)
        if (
            order.time_in_force is _FOK
            and sum((step[3] for step in plan), _ZERO) < order.quantity - order.filled
        ):
            self._close(order, _EXPIRED)
            return
        if plan:
            fill = self._fill
            trade_seq = self._trade_seq
            symbol = order.symbol
            house = None
            for maker, level, price, quantity in plan:
                if not quantity:
                    if maker is not None and maker.status not in TERMINAL_STATUSES:
                        self._close(maker, _EXPIRED)  # self-trade prevention: the maker expires
                    continue
                trade_seq[symbol] = seq = trade_seq[symbol] + 1
                trade_id = str(seq)
                if maker is None:
                    assert level is not None
                    level[1] -= quantity
                    if house is None:
                        house = self._house_of(book.market)
                    base, quote = house
                    if buying:
                        base.free -= quantity
                        notional = quantity * price
                        quote.free += notional
                    else:
                        base.free += quantity
                        notional = quantity * price
                        quote.free -= notional
                else:
                    notional = quantity * price
                    fill(maker, quantity, price, _MAKER, trade_id, notional)
                fill(order, quantity, price, _TAKER, trade_id, notional)
            if order.status in TERMINAL_STATUSES:
                return
        tif = order.time_in_force
        if order.order_type is _MARKET or not (tif is _GTC or tif is _GTD):
            self._close(order, _EXPIRED)  # IOC/FOK/market remainder: Binance says EXPIRED
            return
        (book.bids if buying else book.asks).add(order)
        order.resting = True

    def _maker_fill(self, order: PaperOrder, quantity: Decimal) -> None:
        """Fill a working order at its own price against the house."""
        price = order.price
        assert price is not None
        base, quote = self._house_of(self._markets[order.symbol])
        if order.is_buy:
            base.free -= quantity
            notional = quantity * price
            quote.free += notional
        else:
            base.free += quantity
            notional = quantity * price
            quote.free -= notional
        self._fill(order, quantity, price, _MAKER, self._trade_id(order.symbol), notional)

    def _trade_id(self, symbol: str) -> str:
        self._trade_seq[symbol] += 1
        return str(self._trade_seq[symbol])

    def _house_of(self, market: Market) -> tuple[Wallet, Wallet]:
        """Return the house's base and quote wallets of ``market``."""
        found = self._house_wallets.get(market.symbol)
        if found is None:
            house = self._house
            found = (house.wallet(market.base_asset), house.wallet(market.quote_asset))
            self._house_wallets[market.symbol] = found
        return found

    def _fill(  # noqa: PLR0917 - the matching loop's hot call
        self,
        order: PaperOrder,
        quantity: Decimal,
        price: Decimal,
        liquidity: Liquidity,
        trade_id: str,
        notional: Decimal,
    ) -> None:
        """Settle ``quantity`` of ``order`` at ``price`` (``notional`` is their product)."""
        acct = order.owner
        if order.is_buy:
            # A limit buy locked quantity x limit price; the price paid may be better.
            limit = order.price
            locked = notional if limit is None else quantity * limit
            quote = order.quote_wallet
            quote.locked -= locked
            quote.free += locked - notional
            order.reserved -= locked
            fee = self._fee(acct, liquidity, quantity)
            order.base_wallet.free += quantity - fee
            fee_asset = order.base_asset
        else:
            order.base_wallet.locked -= quantity
            order.reserved -= quantity
            fee = self._fee(acct, liquidity, notional)
            order.quote_wallet.free += notional - fee
            fee_asset = order.quote_asset
        collected = self._fees_collected
        collected[fee_asset] = collected.get(fee_asset, _ZERO) + fee
        now = self._now
        order.filled = filled = order.filled + quantity
        order.notional += notional
        order.updated_at = now
        order.status = status = _FILLED if filled == order.quantity else _PART
        fill = venue_fill(
            trade_id,
            order.venue_order_id,
            order.client_order_id,
            order.symbol,
            order.side,
            quantity,
            price,
            fee,
            fee_asset,
            liquidity,
            now,
        )
        order.symbol_fills.append(fill)
        acct.seq = seq = acct.seq + 1
        report = execution_report(
            seq,
            _FILL,
            now,
            order.venue_order_id,
            order.client_order_id,
            order.symbol,
            status,
            filled,
            fill,
        )
        faults = acct.faults
        if self._latent or faults.reorder_reports or faults.duplicate_reports:
            entry = self._schedule(
                acct,
                order,
                report,
                self.latency.report_delay(self._rng) if self._latent else _NO_DELAY,
            )
        else:
            # :meth:`_schedule` without delays or faults: due now, or with the order's last.
            order.last_due = now = max(now, order.last_due)
            entry = acct.outbox.push(now, report)
        if faults.fill_after_cancel:
            acct.pending_fills.setdefault(order.venue_order_id, []).append(entry)
        if status is _FILLED:
            self._close(order, _FILLED)

    def _fee(self, acct: Account, liquidity: Liquidity, received: Decimal) -> Decimal:
        """Return :meth:`FeeSchedule.fee` of ``received`` for ``acct`` (computed here for the
        schedule's own class: the method call costs more than the arithmetic)."""
        fees = self.fees
        if type(fees) is not FeeSchedule:
            return fees.fee(acct.rates, liquidity, received)
        rates = acct.rates
        rate = rates.maker if liquidity is _MAKER else rates.taker
        if not rate:
            return _ZERO.quantize(fees.scale, context=FEE_CONTEXT)
        return _fee_times(received, rate).quantize(fees.scale, context=FEE_CONTEXT)

    def _close(self, order: PaperOrder, status: OrderStatus) -> Entry | None:
        """Finish ``order``: out of the book, reservation released; report unless filled."""
        acct = order.owner
        now = self._now
        order.status = status
        order.closed_at = order.updated_at = now
        if order.resting:
            book = self._books[order.symbol]
            (book.bids if order.is_buy else book.asks).remove(order)
            order.resting = False
        if order.reserved:
            wallet = order.quote_wallet if order.is_buy else order.base_wallet
            wallet.locked -= order.reserved
            wallet.free += order.reserved
            order.reserved = _ZERO
        del acct.open[order.venue_order_id]
        closed = acct.closed.get(order.symbol)
        if closed is None:
            closed = acct.closed[order.symbol] = []
        closed.append(order)
        if status is _FILLED:
            if acct.pending_fills:
                acct.pending_fills.pop(order.venue_order_id, None)
            return None
        acct.seq = seq = acct.seq + 1
        report = execution_report(
            seq,
            _CANCELLED_REPORT if status is _CANCELLED else _EXPIRED_REPORT,
            now,
            order.venue_order_id,
            order.client_order_id,
            order.symbol,
            status,
            order.filled,
            None,
        )
        if status is _EXPIRED and acct.pending_fills:
            acct.pending_fills.pop(order.venue_order_id, None)
        faults = acct.faults
        if self._latent or faults.reorder_reports or faults.duplicate_reports:
            delay = self.latency.report_delay(self._rng) if self._latent else _NO_DELAY
            return self._schedule(acct, order, report, delay)
        order.last_due = now = max(now, order.last_due)
        return acct.outbox.push(now, report)

    @exact
    def supply(self) -> dict[str, Decimal]:
        """Return every asset's total over all accounts (the house too) plus fees collected."""
        total: dict[str, Decimal] = dict(self._fees_collected)
        for account in self._accounts.values():
            for asset, wallet in account.wallets.items():
                total[asset] = total.get(asset, _ZERO) + wallet.free + wallet.locked
        return dict(sorted(total.items()))

    # -- reports ---------------------------------------------------------------------------

    def _report(
        self, acct: Account, order: PaperOrder, kind: ReportKind, fill: VenueFill | None = None
    ) -> ExecutionReport:
        acct.seq = seq = acct.seq + 1
        ack = kind is _ACK
        return execution_report(
            seq,
            kind,
            self._now,
            order.venue_order_id,
            order.client_order_id,
            order.symbol,
            _OPEN if ack else order.status,
            _ZERO if ack else order.filled,
            fill,
        )

    def _schedule(
        self, acct: Account, order: PaperOrder, report: ExecutionReport, delay: timedelta
    ) -> Entry:
        due = self._now + delay if delay else self._now
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
            copies = faults.duplicate_copies
            for _ in range(1 if copies == 1 else acct.rng.randint(1, copies)):
                acct.outbox.push(due, report)
        return entry

    def _notify(self) -> None:
        for callback in self._listeners:
            callback()
