"""AsyncBroker: the Broker on the Ledger and any Connector, asyncio first.

A thin facade over the parts that do the work, each a module of its own:

* :mod:`~orderdesk.broker.sessions`: who is calling, and one Retrier per venue;
* :mod:`~orderdesk.broker.orders`: the submit and cancel protocol (intent recorded before
  anything leaves; a request proven unsent ends REJECTED ``NOT_SENT``; a lost answer goes
  IN_DOUBT), and the orders as recorded;
* :mod:`~orderdesk.broker.resolution`: in-doubt resolution (ask the venue, resend only after
  its visibility window, one resolver per order), look-up and adoption of a venue order;
* :mod:`~orderdesk.broker.recording`: the venue's events, replies and reports recorded;
* :mod:`~orderdesk.broker.reconcile` and :mod:`~orderdesk.broker.reconciler`: the pure
  comparison of the Ledger with the venue, and its I/O;
* :mod:`~orderdesk.broker.subscriptions`: who hears of each recorded change;
* :mod:`~orderdesk.broker.reads`: statistics and traces, read through what the broker is
  given (:mod:`orderdesk.desk` gives the Ledger's).

Where the store's I/O runs is ``store_io``: ``"loop"`` (the default) does it on the
caller's event loop, which a backtest or a single strategy loses nothing by (nothing else
waits on the loop, and a hop to a thread costs more than a memory or SQLite NORMAL
commit); ``"thread"`` runs every coroutine method on the broker's own loop in a worker
thread, so that a service's loop never waits on a commit or an fsync (each call then costs
one hop; the synchronous methods, ``on_report`` and ``on_reports``, still run on the
caller's thread).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import aclosing
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from orderdesk.broker.orders import Orders
from orderdesk.broker.reads import Reads
from orderdesk.broker.reconcile import ReconcileReport
from orderdesk.broker.reconciler import Reconciler
from orderdesk.broker.recording import NOT_SENT_CODE, Recorder
from orderdesk.broker.resolution import Resolver
from orderdesk.broker.retry import Retrier, RetryPolicy, Sleep
from orderdesk.broker.sessions import ConnectorFactory, Sessions
from orderdesk.broker.subscriptions import OrderUpdate, Subscriptions
from orderdesk.errors import IntegrityAlarm, OrderdeskError
from orderdesk.ledger import Ledger, Trace
from orderdesk.model import Fill, Order, OrderStatus
from orderdesk.model.records import OrderRecord
from orderdesk.model.venue import ExecutionReport, Market
from orderdesk.ports import Clock, MarketData

__all__ = ["NOT_SENT_CODE", "AsyncBroker", "ConnectorFactory", "OrderUpdate", "StoreIO"]

T = TypeVar("T")

StoreIO = Literal["loop", "thread"]
"""Where a broker's store I/O runs: on the caller's event loop, or on a worker thread."""


class _Worker:
    """An event loop on a daemon thread of its own, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        """Run ``coroutine`` on the worker's loop; return a future of the caller's loop."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(
                    target=self._loop.run_forever, name="orderdesk-store", daemon=True
                ).start()
            loop = self._loop
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))


class AsyncBroker:
    """Submit, cancel, query and load orders for the current account, never losing one.

    ``connect`` builds a connector for an account's settings. ``sleep`` is how the broker
    waits (default: ``asyncio.sleep``); with a manual clock pass a sleep that advances it.
    ``reads`` answers :meth:`stats` and :meth:`trace` (see :mod:`orderdesk.broker.reads`).
    """

    def __init__(
        self,
        ledger: Ledger,
        connect: ConnectorFactory,
        *,
        clock: Clock,
        market_data: MarketData | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        sleep: Sleep | None = None,
        visibility_window: timedelta = timedelta(seconds=120),
        poll_interval: timedelta = timedelta(seconds=1),
        min_negative_answers: int = 3,
        max_resends: int = 10,
        check_balance: bool = True,
        submit_timeout: timedelta | None = timedelta(seconds=30),
        reads: Reads | None = None,
        store_io: StoreIO = "loop",
    ) -> None:
        if store_io not in ("loop", "thread"):
            raise ValueError(f"store_io must be 'loop' or 'thread', not {store_io!r}")
        self._worker = _Worker() if store_io == "thread" else None
        self._ledger = ledger
        self._clock = clock
        waits: Sleep = sleep or asyncio.sleep
        self._sessions = Sessions(
            connect,
            clock=clock,
            rng=rng or random.Random(),
            policy=policy or RetryPolicy(),
            sleep=waits,
        )
        self._subscriptions = Subscriptions()
        self._recorder = Recorder(ledger, self._subscriptions.publish)
        self._resolver = Resolver(
            ledger,
            self._recorder,
            clock=clock,
            sleep=waits,
            visibility_window=visibility_window,
            poll_interval=poll_interval,
            min_negative_answers=min_negative_answers,
            max_resends=max_resends,
            submit_timeout=submit_timeout,
        )
        self._orders = Orders(
            ledger,
            self._recorder,
            self._resolver,
            self._subscriptions.publish,
            clock=clock,
            market_data=market_data,
            check_balance=check_balance,
        )
        self._reconciler = Reconciler(
            ledger, self._recorder, self._resolver, self._orders, clock=clock
        )
        self._reads = reads if reads is not None else self._reads_of(ledger)
        self.alarms: list[IntegrityAlarm] = self._recorder.alarms
        """Integrity alarms raised by venue reports (an overfill, a conflicting trade)."""
        self.resolutions: list[timedelta] = self._resolver.resolutions
        """How long each in-doubt submit took to resolve, in the order they resolved."""

    @staticmethod
    def _reads_of(ledger: Ledger) -> Reads | None:
        """What the broker reads with when it is given no ``reads``: here nothing; a
        subclass may read from ``ledger``."""
        return None

    # --- who is calling ------------------------------------------------------------------

    def settings(self, **params: Any) -> None:
        """Set who is calling: ``account`` and, where the venue needs them, credentials."""
        self._sessions.settings(params)

    @property
    def account(self) -> str:
        """The current account."""
        return self._sessions.require().account

    @property
    def ledger(self) -> Ledger:
        """The Ledger this broker records to."""
        return self._ledger

    @property
    def clock(self) -> Clock:
        """The broker's clock."""
        return self._clock

    def retrier(self, venue: str) -> Retrier:
        """Return the retrier (its counters, budget and breaker) of ``venue``."""
        return self._sessions.retrier(venue)

    # --- subscriptions -------------------------------------------------------------------

    def subscribe(self, callback: Callable[[OrderUpdate], None]) -> Callable[[], None]:
        """Call ``callback`` after every recorded change; return the unsubscribe function."""
        return self._subscriptions.subscribe(callback)

    async def updates(self) -> AsyncIterator[OrderUpdate]:
        """Yield every recorded change from now on."""
        async with aclosing(self._subscriptions.updates()) as updates:
            async for update in updates:
                yield update

    # --- submit, resolve, reconcile ------------------------------------------------------

    async def submit(self, order: Order) -> OrderRecord:
        """Check, record and send ``order``; return its record once the venue's answer is known.

        A breach of the venue's filters or the balance raises
        :class:`~orderdesk.errors.PreTradeRejected` and nothing is recorded or sent. A
        venue's rejection is an outcome: the returned order is REJECTED, with its reason
        in the journal. Past ``submit_timeout`` the order comes back still IN_DOUBT.
        """
        return await self._io(self._orders.submit(self._sessions.require(), order))

    async def markets(self) -> dict[str, Market]:
        """Return the current venue's markets (loaded once per session)."""
        return await self._io(self._sessions.require().load_markets())

    async def resolve(self, order_id: str) -> OrderRecord:
        """Resolve an in-doubt submit now (see :mod:`orderdesk.broker.resolution`)."""
        return await self._io(self._resolver.resolve_now(self._sessions.require(), order_id))

    async def reconcile(self, *, dry_run: bool = False) -> ReconcileReport:
        """Compare the Ledger with the venue for the current account; fix it unless dry."""
        return await self._io(self._reconciler.reconcile(self._sessions.require(), dry_run=dry_run))

    # --- reports -------------------------------------------------------------------------

    def on_report(self, report: ExecutionReport) -> OrderRecord | None:
        """Record one execution report of the current account; ``None`` if not one of ours."""
        session = self._sessions.require()
        return self._recorder.on_report(session.account, session.venue, report)

    def on_reports(self, reports: Iterable[ExecutionReport]) -> int:
        """Record a batch of reports; return how many were ours."""
        on_report = self.on_report
        return sum(on_report(report) is not None for report in reports)

    async def run_reports(self) -> None:
        """Record the current account's execution reports as they arrive, until cancelled."""
        await self._io(self._record_reports())

    async def _record_reports(self) -> None:
        async for report in self._sessions.require().connector.reports():
            self.on_report(report)

    async def _read(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``read(*args, **kwargs)``, done where the store's I/O is done."""
        if self._worker is None:
            return read(*args, **kwargs)

        async def call() -> T:
            return read(*args, **kwargs)

        return await self._worker.run(call())

    def _io(self, coroutine: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """``coroutine`` as it runs where the store's I/O is done (see ``store_io``)."""
        return coroutine if self._worker is None else self._worker.run(coroutine)

    # --- cancel and status ---------------------------------------------------------------

    async def cancel(self, order_id: str) -> OrderRecord:
        """Ask the venue to cancel; return the order as it then stands.

        A cancel is safe to repeat and goes out even when the venue's breaker is open. If
        the order filled first, the result says so (its status is FILLED).
        """
        return await self._io(self._orders.cancel(self._sessions.require(), order_id))

    async def status(self, order_id: str) -> OrderRecord:
        """Refresh the order from the venue and return it."""
        return await self._io(self._resolver.status(self._sessions.require(), order_id))

    # --- reads ---------------------------------------------------------------------------

    async def load(
        self,
        status: str | OrderStatus | None = None,
        *,
        statuses: Iterable[str | OrderStatus] | None = None,
        symbol: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        group_id: str | None = None,
    ) -> list[Order]:
        """Return the current account's orders, oldest first.

        ``status`` is a status or a group: ``"OPEN"`` is OPEN and PARTIALLY_FILLED,
        ``"CLOSED"`` is FILLED, CANCELLED, REJECTED and EXPIRED; ``statuses`` is an exact
        set. See :mod:`orderdesk.model.status_filter`.
        """
        return await self._read(
            self._orders.load,
            self._sessions.require().account,
            status,
            statuses,
            symbol=symbol,
            since=since,
            until=until,
            group_id=group_id,
        )

    async def get(self, order_id: str) -> OrderRecord:
        """Return the current account's order as recorded (no venue call)."""
        return await self._read(self._orders.get, self._sessions.require().account, order_id)

    async def fills(self, order_id: str) -> tuple[Fill, ...]:
        """Return the order's fills, oldest first."""
        return await self._read(self._orders.fills, self._sessions.require().account, order_id)

    async def stats(
        self,
        window: str | timedelta | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        group_by: Iterable[str] = (),
    ) -> Any:
        """Return execution quality of the current account's orders over a window.

        ``window`` is the last ``"90s"``, ``"15m"``, ``"1h"`` or ``"7d"`` (or a timedelta)
        up to now; or give ``start`` and/or ``end``. ``group_by`` takes any of symbol, side,
        order_type, account, venue. The figures are what the broker's ``reads`` computes:
        with :class:`orderdesk.desk.LedgerReads`, an :class:`orderdesk.stats.Report`.
        """
        account = self._sessions.require().account
        return await self._read(
            self._reader().stats,
            account,
            self._clock,
            window,
            start=start,
            end=end,
            group_by=group_by,
        )

    async def trace(self, order_id: str) -> Trace:
        """Return the order's causality chain: plan, group, order, every event and fill."""
        return await self._read(self._reader().trace, self._sessions.require().account, order_id)

    def _reader(self) -> Reads:
        if self._reads is None:
            raise OrderdeskError(
                "this broker reads no statistics or traces: build it with "
                "orderdesk.desk.AsyncBroker, or pass reads=orderdesk.desk.LedgerReads(ledger)"
            )
        return self._reads
