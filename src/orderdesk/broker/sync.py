"""Broker: the synchronous face of :class:`AsyncBroker`, for scripts and notebooks.

Every method runs the AsyncBroker's on the Broker's own event loop, on the calling thread:
a call costs no hop to another thread, and against an in-process venue it is the
AsyncBroker's own cost plus one turn of the loop. Calls from several threads take turns.
Called from inside a running event loop (a notebook), a call runs the Broker's loop on a
worker thread instead; while :meth:`Broker.run_reports` serves reports, calls join its loop.
Nothing is implemented twice. Close it (or use ``with``) to close the loop. It has every
public method of AsyncBroker except ``updates()``, an async iterator: a synchronous caller
gets the same changes from ``subscribe(callback)``.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from orderdesk.broker.core import AsyncBroker, ConnectorFactory, OrderUpdate
from orderdesk.broker.reconcile import ReconcileReport
from orderdesk.broker.retry import Retrier
from orderdesk.errors import IntegrityAlarm
from orderdesk.ledger import Ledger, Trace
from orderdesk.model import Fill, Order, OrderStatus
from orderdesk.model.records import OrderRecord
from orderdesk.model.venue import ExecutionReport, Market
from orderdesk.ports import Clock

__all__ = ["Broker"]

T = TypeVar("T")


class Broker:
    """Submit, cancel, query and load orders, synchronously. Takes AsyncBroker's arguments."""

    _engine: ClassVar[type[AsyncBroker]] = AsyncBroker
    """The AsyncBroker a Broker builds to drive."""

    def __init__(self, ledger: Ledger, connect: ConnectorFactory, **options: Any) -> None:
        self._start(self._engine(ledger, connect, **options))

    @classmethod
    def around(cls, core: AsyncBroker) -> Self:
        """Return a synchronous Broker driving an existing AsyncBroker."""
        broker = cls.__new__(cls)
        broker._start(core)
        return broker

    def _start(self, core: AsyncBroker) -> None:
        self._core = core
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()  # one caller at a time runs the loop
        self._serving: threading.Event | None = None  # set when run_reports returns
        # Report streams running on the loop (tasks, or futures of another thread's call).
        self._report_loops: set[asyncio.Task[None] | Future[None]] = set()
        self._worker: ThreadPoolExecutor | None = None
        self._closed = False

    def _call(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run the coroutine ``fn(*args)`` to its end on the Broker's loop."""
        result: T = self._run(fn, *args)
        return result

    def _call_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` where the Broker's loop runs (see :meth:`_call`)."""
        result: T = self._run(fn, *args)
        return result

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            if self._closed:
                raise RuntimeError("the Broker is closed")
            if self._serving is None:
                return self._run_here(fn, *args)
        return self._on_serving_loop(fn, *args).result()

    def _run_here(self, fn: Callable[..., Any], *args: Any) -> Any:
        value = fn(*args)
        if not inspect.isawaitable(value):
            return value
        return self._until_complete(value)

    def _until_complete(self, awaitable: Any) -> Any:
        if asyncio.events._get_running_loop() is None:
            return self._loop.run_until_complete(awaitable)
        # This thread runs another loop (a notebook's): run ours on a worker thread.
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="orderdesk-broker")
        return self._worker.submit(self._loop.run_until_complete, awaitable).result()

    def _on_serving_loop(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        async def call() -> Any:
            value = fn(*args)
            return (await value) if inspect.isawaitable(value) else value

        return asyncio.run_coroutine_threadsafe(call(), self._loop)

    @property
    def core(self) -> AsyncBroker:
        """The AsyncBroker doing the work."""
        return self._core

    def close(self) -> None:
        """Close the event loop, stopping any :meth:`run_reports` first (it runs until
        cancelled, and returns once it is)."""
        with self._lock:
            serving = self._serving
            for loop in list(self._report_loops):
                self._loop.call_soon_threadsafe(loop.cancel)
        if serving is not None:
            serving.wait()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._loop.is_closed():
                self._until_complete(self._loop.shutdown_asyncgens())
                self._loop.close()
            if self._worker is not None:
                self._worker.shutdown()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def settings(self, **params: Any) -> None:
        """Set who is calling: ``account`` and, where the venue needs them, credentials."""
        self._core.settings(**params)

    @property
    def account(self) -> str:
        """The current account."""
        return self._core.account

    @property
    def ledger(self) -> Ledger:
        """The Ledger this broker records to."""
        return self._core.ledger

    @property
    def clock(self) -> Clock:
        """The broker's clock."""
        return self._core.clock

    @property
    def alarms(self) -> list[IntegrityAlarm]:
        """See :attr:`AsyncBroker.alarms`."""
        return self._core.alarms

    @property
    def resolutions(self) -> list[timedelta]:
        """See :attr:`AsyncBroker.resolutions`."""
        return self._core.resolutions

    def retrier(self, venue: str) -> Retrier:
        """See :meth:`AsyncBroker.retrier`."""
        return self._core.retrier(venue)

    def subscribe(self, callback: Callable[[OrderUpdate], None]) -> Callable[[], None]:
        """Call ``callback`` (on the thread running the broker's loop) after every recorded
        change."""
        return self._core.subscribe(callback)

    def submit(self, order: Order) -> OrderRecord:
        """See :meth:`AsyncBroker.submit`."""
        return self._call(self._core.submit, order)

    def markets(self) -> dict[str, Market]:
        """See :meth:`AsyncBroker.markets`."""
        return self._call(self._core.markets)

    def resolve(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.resolve`."""
        return self._call(self._core.resolve, order_id)

    def reconcile(self, *, dry_run: bool = False) -> ReconcileReport:
        """See :meth:`AsyncBroker.reconcile`: ``dry_run=True`` changes nothing."""

        async def reconcile() -> ReconcileReport:
            return await self._core.reconcile(dry_run=dry_run)

        return self._call(reconcile)

    # Reports are applied on the broker's thread, like everything else it records, so a
    # report never runs alongside a submit or a reconcile on the loop.
    def on_report(self, report: ExecutionReport) -> OrderRecord | None:
        """See :meth:`AsyncBroker.on_report`."""
        return self._call_sync(self._core.on_report, report)

    def on_reports(self, reports: Iterable[ExecutionReport]) -> int:
        """See :meth:`AsyncBroker.on_reports`."""
        return self._call_sync(self._core.on_reports, reports)

    def run_reports(self) -> None:
        """See :meth:`AsyncBroker.run_reports`: record reports as they arrive, blocking the
        calling thread until :meth:`close` (then it returns) or an interrupt (Ctrl-C).
        Meanwhile other threads' calls run on the loop it runs."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the Broker is closed")
            serving = self._serving
            if serving is None:
                self._serving = threading.Event()
        if serving is not None:  # the loop already serves reports: one more stream on it
            self._wait_for(self._on_serving_loop(self._core.run_reports))
            return
        try:

            async def serve() -> None:
                task = asyncio.ensure_future(self._core.run_reports())
                with self._lock:
                    self._report_loops.add(task)
                try:
                    await task
                except asyncio.CancelledError:
                    if not task.cancelled():
                        raise
                finally:
                    with self._lock:
                        self._report_loops.discard(task)

            self._until_complete(serve())
        finally:
            with self._lock:
                done, self._serving = self._serving, None
            assert done is not None
            done.set()

    def _wait_for(self, loop: Future[None]) -> None:
        with self._lock:
            self._report_loops.add(loop)
        try:
            loop.result()
        except CancelledError:
            if not loop.cancelled():
                raise
        except BaseException:
            loop.cancel()
            raise
        finally:
            with self._lock:
                self._report_loops.discard(loop)

    def cancel(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.cancel`."""
        return self._call(self._core.cancel, order_id)

    def status(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.status`."""
        return self._call(self._core.status, order_id)

    def get(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.get`."""
        return self._call(self._core.get, order_id)

    def fills(self, order_id: str) -> tuple[Fill, ...]:
        """See :meth:`AsyncBroker.fills`."""
        return self._call(self._core.fills, order_id)

    def trace(self, order_id: str) -> Trace:
        """See :meth:`AsyncBroker.trace`."""
        return self._call(self._core.trace, order_id)

    def stats(
        self,
        window: str | timedelta | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        group_by: Iterable[str] = (),
    ) -> Any:
        """See :meth:`AsyncBroker.stats`: ``window="1h"``, or ``start``/``end``."""

        async def stats() -> Any:
            return await self._core.stats(window, start=start, end=end, group_by=group_by)

        return self._call(stats)

    def load(
        self,
        status: str | OrderStatus | None = None,
        *,
        statuses: Iterable[str | OrderStatus] | None = None,
        symbol: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        group_id: str | None = None,
    ) -> list[Order]:
        """See :meth:`AsyncBroker.load`: ``"OPEN"`` and ``"CLOSED"`` are groups."""

        async def load() -> list[Order]:
            return await self._core.load(
                status,
                statuses=statuses,
                symbol=symbol,
                since=since,
                until=until,
                group_id=group_id,
            )

        return self._call(load)
