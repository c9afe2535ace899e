"""A fault-injecting venue for races between resolvers of one in-doubt order.

:class:`RaceDesk` puts one or more AsyncBrokers on one ledger against one PaperExchange
account, all on simulated time (:class:`~orderdesk.testing.virtual_time.VirtualTime`).
The venue's own knobs do most of the work: :class:`~orderdesk.venues.paper.faults.Faults`
loses requests and replies at random and lags (``not_found_lag``: an accepted order is
invisible to queries, lists and cancels for that long), and the exchange refuses a client
id that names an open order (``DUPLICATE_CLIENT_ORDER_ID``) while a closed order's id may
be used again (:class:`~orderdesk.venues.paper.exchange.ClientIdScope` ``OPEN``, as Binance
spot). :class:`WiredConnector` adds what a race needs on top: a script of losses for the
next submits (so a test can say "this request is lost"), reads that all fail, and a log of
every submit and cancel in one sequence shared by every broker's connector.
"""

from __future__ import annotations

import enum
import inspect
import itertools
import random
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from orderdesk import desk
from orderdesk.broker.core import AsyncBroker
from orderdesk.broker.reconcile import ReconcileReport
from orderdesk.broker.retry import RetryPolicy, Sleep
from orderdesk.broker.settings import BrokerSettings
from orderdesk.clocks import ManualClock
from orderdesk.errors import OutcomeUnknown
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import (
    Balance,
    CancelResult,
    ExecutionReport,
    Market,
    Order,
    OrderStatus,
    OrderType,
    Side,
    SubmitRequest,
    SubmitResult,
    VenueFill,
    VenueOrder,
    generate_group_id,
)
from orderdesk.model.records import OrderRecord
from orderdesk.ports import Clock, Connector, Store
from orderdesk.testing.paper import MARKET as BTC_USDT
from orderdesk.testing.paper import START
from orderdesk.testing.virtual_time import Outcome, VirtualTime
from orderdesk.venues.paper import PaperConnector, PaperExchange
from orderdesk.venues.paper.exchange import ClientIdScope
from orderdesk.venues.paper.faults import Faults
from orderdesk.venues.paper.market_data import PaperMarketData
from orderdesk.venues.paper.records import PaperOrder

__all__ = [
    "ACCOUNT",
    "BOUND",
    "BOUND_SLACK",
    "SUBMIT_TIMEOUT",
    "BTC_USDT",
    "START",
    "RaceAudit",
    "RaceDesk",
    "SentSubmit",
    "Wire",
    "WireFault",
    "WiredConnector",
]

T = TypeVar("T")

SUBMIT_TIMEOUT = timedelta(seconds=30)
"""The bound races hold ``submit()`` to: the documented default."""
BOUND: Mapping[str, Any] = (
    {"submit_timeout": SUBMIT_TIMEOUT}
    if "submit_timeout" in inspect.signature(AsyncBroker).parameters
    else {}  # a broker without the keyword is held to the same bound, and fails it
)
"""The AsyncBroker keywords that set the bound (none where the broker has no such knob)."""
BOUND_SLACK = timedelta(seconds=2)
"""How far past its bound a submit may return: venue calls in flight when the bound falls
are let finish (the slowest lookup in a race takes 1.6 s)."""

ACCOUNT = "racer"
FUNDS = {"BTC": Decimal(1000), "USDT": Decimal(100_000_000)}
_SECOND, _HOUR = timedelta(seconds=1), timedelta(hours=1)
RESTING_BUY = "90000.00"
"""A buy limit far below the market: it rests until a trade prints through it."""


class WireFault(enum.Enum):
    """What happens to one scripted submit."""

    LOSE_REQUEST = "lose request"
    """The caller sees OutcomeUnknown; the venue saw nothing."""
    LOSE_REPLY = "lose reply"
    """The caller sees OutcomeUnknown; the venue processed the request."""


@dataclass(frozen=True, slots=True)
class SentSubmit:
    """One submit a connector was asked to send, whatever became of it."""

    seq: int
    at: datetime
    client_order_id: str
    fault: WireFault | None
    result: SubmitResult | None
    """The venue's answer (also when the reply was lost); ``None`` if it never got there."""


@dataclass(frozen=True, slots=True)
class CancelMark:
    """A cancel the test asked for, numbered in the wire's sequence."""

    seq: int
    at: datetime
    client_order_id: str


@dataclass
class Wire:
    """What every connector of a race shares: the script, the read switch and the log."""

    clock: Clock
    script: deque[WireFault | None] = field(default_factory=deque)
    """Faults for the next submits, in order (``None``: let it through); then none."""
    scripts: dict[str, deque[WireFault | None]] = field(default_factory=dict)
    """Faults for the next submits of one client order id, before :attr:`script`."""
    fail_reads: bool = False
    """Every read (query, lists, fills, balances, markets) fails with OutcomeUnknown."""
    latency: float = 0.0
    """Seconds each way for every call: a resolver's ask and its resend are apart in time,
    and other resolvers run in between, as over a real network (needs ``sleep``)."""
    sleep: Sleep | None = None
    submits: list[SentSubmit] = field(default_factory=list)
    cancels: list[CancelMark] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    async def travel(self) -> None:
        """Spend one way of a call's latency."""
        if self.latency and self.sleep is not None:
            await self.sleep(self.latency)

    def lose(self, client_order_id: str, *faults: WireFault | None) -> None:
        """Script the next submits of ``client_order_id``."""
        self.scripts.setdefault(client_order_id, deque()).extend(faults)

    def fault_for(self, client_order_id: str) -> WireFault | None:
        """Take the scripted fault of the next submit of ``client_order_id``."""
        own = self.scripts.get(client_order_id)
        if own:
            return own.popleft()
        return self.script.popleft() if self.script else None

    def next_seq(self) -> int:
        """Return the next number of the race's one sequence of wire events."""
        return next(self._seq)

    def sends_of(self, client_order_id: str) -> list[SentSubmit]:
        """Return the submits sent under ``client_order_id``, in order."""
        return [s for s in self.submits if s.client_order_id == client_order_id]


class WiredConnector:
    """A Connector around another, with the :class:`Wire`'s script, switch and log."""

    def __init__(self, inner: Connector, wire: Wire) -> None:
        self._inner = inner
        self._wire = wire

    @property
    def name(self) -> str:
        """The venue's name."""
        return self._inner.name

    async def _read(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        await self._wire.travel()
        if self._wire.fail_reads:
            raise OutcomeUnknown(self.name, operation, "timed out (read failed)")
        answer = await call()
        await self._wire.travel()
        return answer

    async def submit(self, request: SubmitRequest) -> SubmitResult:
        """Send ``request`` unless the script loses it; log it either way."""
        wire = self._wire
        fault = wire.fault_for(request.client_order_id)
        # Numbered as it leaves the broker: a cancel requested while it travels came after.
        seq, at, client_id = wire.next_seq(), wire.clock.now(), request.client_order_id
        await wire.travel()
        if fault is WireFault.LOSE_REQUEST:
            wire.submits.append(SentSubmit(seq, at, client_id, fault, None))
            raise OutcomeUnknown(self.name, "submit", "timed out (request lost)")
        try:
            result = await self._inner.submit(request)
        except Exception:
            wire.submits.append(SentSubmit(seq, at, client_id, fault, None))
            raise
        wire.submits.append(SentSubmit(seq, at, client_id, fault, result))
        await wire.travel()
        if fault is WireFault.LOSE_REPLY:
            raise OutcomeUnknown(self.name, "submit", "connection reset (reply lost)")
        return result

    async def cancel(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> CancelResult:
        """Cancel through the inner connector."""
        await self._wire.travel()
        result = await self._inner.cancel(
            symbol, client_order_id=client_order_id, venue_order_id=venue_order_id
        )
        await self._wire.travel()
        return result

    async def markets(self) -> Mapping[str, Market]:
        """The inner connector's markets, unless reads fail."""
        return await self._read("markets", self._inner.markets)

    async def query(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> VenueOrder | None:
        """The inner connector's answer, unless reads fail."""
        query = partial(
            self._inner.query,
            symbol,
            client_order_id=client_order_id,
            venue_order_id=venue_order_id,
        )
        return await self._read("query", query)

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        """The inner connector's answer, unless reads fail."""
        return await self._read("open_orders", partial(self._inner.open_orders, symbol))

    async def closed_orders(self, symbol: str, since: datetime) -> list[VenueOrder]:
        """The inner connector's answer, unless reads fail."""
        return await self._read("closed_orders", partial(self._inner.closed_orders, symbol, since))

    async def fills_since(self, symbol: str, since: datetime) -> list[VenueFill]:
        """The inner connector's answer, unless reads fail."""
        return await self._read("fills_since", partial(self._inner.fills_since, symbol, since))

    async def balances(self) -> Mapping[str, Balance]:
        """The inner connector's answer, unless reads fail."""
        return await self._read("balances", self._inner.balances)

    def reports(self) -> AsyncIterator[ExecutionReport]:
        """The inner connector's report stream."""
        return self._inner.reports()


@dataclass(frozen=True, slots=True)
class RaceAudit:
    """What went wrong in one race, counted from the ledger against the venue's books."""

    false_rejects: int = 0
    """Orders the ledger calls REJECTED that the venue holds (working or finished)."""
    placed_twice: int = 0
    """Intents the venue holds more than one order of (one client id, two venue orders)."""
    cancelled_placed: int = 0
    """Intents the venue accepted from a submit sent after their cancel was requested."""
    cancels_ignored: int = 0
    """Other intents whose cancel was requested that still work at the venue at the end
    (sent before the cancel, perhaps not yet visible to it)."""
    fills_differ: int = 0
    """Intents whose recorded fills differ from the venue's (by trade id) at the end."""
    placed_past_window: int = 0
    """Intents the venue took twice because it hid the first copy, already finished, for
    longer than the broker's visibility window and then took its client id again: the
    limit the README states (set the window above the venue's worst lag). Not a fault of
    the protocol, so counted apart, and only possible when the lag exceeds the window."""

    def __add__(self, other: RaceAudit) -> RaceAudit:
        return RaceAudit(
            *(getattr(self, name) + getattr(other, name) for name in RaceAudit.__slots__)
        )

    def counts(self) -> dict[str, int]:
        """The counts by name."""
        return {name: getattr(self, name) for name in RaceAudit.__slots__}


@dataclass
class RaceDesk:
    """``brokers`` AsyncBrokers on one ledger, one faulty paper venue, simulated time."""

    seed: int = 0
    faults: Faults = field(default_factory=Faults)
    """The venue account's own faults: random losses and ``not_found_lag``."""
    store_url: str = "memory://"
    """``memory://`` (one store shared by every broker) or a SQLite path (a store each)."""
    brokers_on_ledger: int = 1
    visibility_window: timedelta = timedelta(seconds=120)
    report_stream: bool = True
    """Whether the first broker hears the venue's execution reports as they fall due."""
    broker_options: Mapping[str, Any] = field(default_factory=dict)
    """More AsyncBroker keywords (a submit bound, say)."""
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    latency: float = 0.05
    """Seconds each way of every venue call."""

    def __post_init__(self) -> None:
        self.clock = ManualClock(START)
        self.time = VirtualTime(self.clock, on_advance=self._on_advance)
        self.exchange = PaperExchange(
            [BTC_USDT],
            clock=self.clock,
            seed=self.seed,
            client_id_scope=ClientIdScope.OPEN,
            id_base=0,
        )
        self.exchange.open_account(ACCOUNT, FUNDS, faults=self.faults)
        self.wire = Wire(self.clock, latency=self.latency, sleep=self.time.sleep)
        self._stores: list[Store] = []
        self._shared: Store | None = None
        self._started = 0
        self.brokers: list[AsyncBroker] = [
            self.start_broker() for _ in range(self.brokers_on_ledger)
        ]
        self.exchange.on_quote(
            BTC_USDT.symbol,
            [(Decimal("94999.99"), Decimal(50)), (Decimal("94989.99"), Decimal(100))],
            [(Decimal("95000.01"), Decimal(50)), (Decimal("95010.01"), Decimal(100))],
        )

    # --- the brokers -----------------------------------------------------------------------

    def _store(self) -> Store:
        if self.store_url == "memory://":
            if self._shared is None:
                self._shared = open_store(self.store_url)
                self._stores.append(self._shared)
            return self._shared
        store = open_store(self.store_url)  # another process's connection to one file
        self._stores.append(store)
        return store

    def _connect(self, settings: BrokerSettings) -> Connector:
        return WiredConnector(PaperConnector(self.exchange, settings.account), self.wire)

    def start_broker(self) -> AsyncBroker:
        """Return a new AsyncBroker on the race's ledger (a process starting, or restarting
        after a crash: it knows only what the ledger holds)."""
        self._started += 1
        broker = desk.AsyncBroker(
            Ledger(self._store(), self.clock),
            self._connect,
            clock=self.clock,
            market_data=PaperMarketData(self.exchange),
            policy=self.policy,
            rng=random.Random(self.seed * 1_000 + self._started),
            sleep=self.time.sleep,
            visibility_window=self.visibility_window,
            check_balance=False,
            **self.broker_options,
        )
        broker.settings(account=ACCOUNT)
        return broker

    def restart(self, index: int = 0) -> AsyncBroker:
        """Replace broker ``index`` with a fresh one; its abandoned work stays abandoned."""
        self.brokers[index] = self.start_broker()
        return self.brokers[index]

    @property
    def ledger(self) -> Ledger:
        """The race's ledger, as the first broker sees it."""
        return self.brokers[0].ledger

    def close(self) -> None:
        """Close every store the race opened."""
        for store in self._stores:
            store.close()

    # --- the venue -------------------------------------------------------------------------

    def _on_advance(self) -> None:
        self.exchange.advance()
        reports = self.exchange.take_reports(ACCOUNT)
        if self.report_stream and reports:
            self.brokers[0].on_reports(reports)

    def calm(self) -> None:
        """Stop every fault but the lag (a property of the venue, not of the wire)."""
        self.exchange.account(ACCOUNT).faults = Faults(not_found_lag=self.faults.not_found_lag)
        self.wire.script.clear()
        self.wire.scripts.clear()
        self.wire.fail_reads = False

    def print_through(self, price: str = RESTING_BUY, quantity: str = "10") -> None:
        """Print a trade at ``price``: every resting buy at or above it fills."""
        self.exchange.on_trade(BTC_USDT.symbol, Decimal(price), Decimal(quantity))
        self._on_advance()

    def venue_orders(self, client_order_id: str) -> list[PaperOrder]:
        """Every order the venue holds (open or finished) under ``client_order_id``."""
        held = self.exchange.open_records(ACCOUNT) + self.exchange.closed_records(
            ACCOUNT, BTC_USDT.symbol, START
        )
        return [o for o in held if o.client_order_id == client_order_id]

    def venue_fills(self, client_order_id: str) -> list[VenueFill]:
        """The venue's fills of every order under ``client_order_id``."""
        ids = {o.venue_order_id for o in self.venue_orders(client_order_id)}
        fills = self.exchange.fills_since(ACCOUNT, BTC_USDT.symbol, START)
        return [f for f in fills if f.venue_order_id in ids]

    # --- what a test does ------------------------------------------------------------------

    def order(self, kind: str = "resting", quantity: str = "0.01") -> Order:
        """Return a new order created now: ``market`` (fills at once), ``resting`` (a buy
        limit below the market) or ``marketable`` (a buy limit through the ask)."""
        now = self.clock.now()
        price = {"market": None, "resting": RESTING_BUY, "marketable": "95020.00"}[kind]
        return Order.model_validate(
            {
                "parent_group_id": generate_group_id(now),
                "symbol": BTC_USDT.symbol,
                "side": Side.BUY,
                "order_type": OrderType.MARKET if price is None else OrderType.LIMIT,
                "quantity": quantity,
                "price": price,
                "created_at": now,
                "updated_at": now,
            }
        )

    async def cancel(self, broker: AsyncBroker, order_id: str) -> OrderRecord:
        """Cancel through ``broker``, noting the request in the wire's sequence."""
        record = broker.ledger.get(ACCOUNT, order_id)
        mark = CancelMark(self.wire.next_seq(), self.clock.now(), record.client_order_id)
        self.wire.cancels.append(mark)
        # No await before the broker records the request: nothing runs between the two.
        return await broker.cancel(order_id)

    async def settle(self, passes: int = 2) -> list[Outcome[ReconcileReport]]:
        """Calm the venue, let its lag and the visibility window pass, and reconcile
        ``passes`` times from the first broker, letting background work run before and
        after each: whatever a race left must come right."""
        self.calm()
        self.time.advance(self.faults.not_found_lag + self.visibility_window + _SECOND)
        outcomes: list[Outcome[ReconcileReport]] = []
        for _ in range(passes):
            await self.time.drain(_HOUR)  # what the brokers resolve in the background
            outcomes += await self.time.run(self.brokers[0].reconcile, limit=_HOUR)
        await self.time.drain(_HOUR)
        return outcomes

    def audit(self) -> RaceAudit:
        """Count what went wrong, over every order of the ledger."""
        false_rejects = placed_twice = cancelled_placed = cancels_ignored = fills_differ = 0
        past_window = 0
        for record in self.ledger.load_all(ACCOUNT):
            client_id = record.client_order_id
            held = sorted(self.venue_orders(client_id), key=lambda o: o.created_at)
            if held and record.order.status is OrderStatus.REJECTED:
                false_rejects += 1
            if len(held) > 1 and self._past_window(held):
                past_window += 1
                continue  # the ledger holds one of two venue orders: its fills cannot match
            if len(held) > 1:
                placed_twice += 1
            marks = [m.seq for m in self.wire.cancels if m.client_order_id == client_id]
            if record.cancel_requested_at is not None and marks:
                after = [s for s in self.wire.sends_of(client_id) if s.seq > min(marks)]
                if any(s.result is not None and s.result.accepted for s in after):
                    cancelled_placed += 1
                elif any(o.is_open for o in held):
                    cancels_ignored += 1
            recorded = Counter(f.trade_id for f in self.ledger.fills(ACCOUNT, record.order_id))
            at_venue = Counter(f.trade_id for f in self.venue_fills(client_id))
            if held and recorded != at_venue:
                fills_differ += 1
        return RaceAudit(
            false_rejects, placed_twice, cancelled_placed, cancels_ignored, fills_differ,
            past_window,
        )  # fmt: skip

    def _past_window(self, held: list[PaperOrder]) -> bool:
        """Whether the venue took a second copy only because the lag outlasted the window:
        the first had finished (its client id free again) before the second was placed."""
        first, second = held[0], held[1]
        return (
            self.faults.not_found_lag > self.visibility_window
            and first.closed_at is not None
            and first.closed_at <= second.created_at
        )
