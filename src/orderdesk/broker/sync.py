"""Broker: the synchronous face of :class:`AsyncBroker`, for scripts and notebooks.

Every method runs the AsyncBroker's on a private event loop in a background thread (anyio's
blocking portal); nothing is implemented twice. Close it (or use ``with``) to stop the loop.
It has every public method of AsyncBroker except ``updates()``, an async iterator: a
synchronous caller gets the same changes from ``subscribe(callback)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Future
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, Self

from anyio.from_thread import BlockingPortal, start_blocking_portal

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


class Broker:
    """Submit, cancel, query and load orders, synchronously. Takes AsyncBroker's arguments."""

    _engine: ClassVar[type[AsyncBroker]] = AsyncBroker
    """The AsyncBroker a Broker builds to drive."""

    def __init__(self, ledger: Ledger, connect: ConnectorFactory, **options: Any) -> None:
        self._start(self._engine(ledger, connect, **options))

    @classmethod
    def around(cls, core: AsyncBroker) -> Broker:
        """Return a synchronous Broker driving an existing AsyncBroker."""
        broker = cls.__new__(cls)
        broker._start(core)
        return broker

    def _start(self, core: AsyncBroker) -> None:
        self._core = core
        self._portal_context: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._portal_context.__enter__()
        self._report_loops: set[Future[None]] = set()

    @property
    def core(self) -> AsyncBroker:
        """The AsyncBroker doing the work."""
        return self._core

    def close(self) -> None:
        """Stop the background event loop (and any :meth:`run_reports` first: it runs until
        cancelled, and the loop waits for its tasks)."""
        for loop in list(self._report_loops):
            loop.cancel()
        self._portal_context.__exit__(None, None, None)

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
        """Call ``callback`` (on the broker's thread) after every recorded change."""
        return self._core.subscribe(callback)

    def submit(self, order: Order) -> OrderRecord:
        """See :meth:`AsyncBroker.submit`."""
        return self._portal.call(self._core.submit, order)

    def markets(self) -> dict[str, Market]:
        """See :meth:`AsyncBroker.markets`."""
        return self._portal.call(self._core.markets)

    def resolve(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.resolve`."""
        return self._portal.call(self._core.resolve, order_id)

    def reconcile(self, *, dry_run: bool = False) -> ReconcileReport:
        """See :meth:`AsyncBroker.reconcile`: ``dry_run=True`` changes nothing."""

        async def reconcile() -> ReconcileReport:
            return await self._core.reconcile(dry_run=dry_run)

        return self._portal.call(reconcile)

    # Reports are applied on the broker's thread, like everything else it records, so a
    # report never runs alongside a submit or a reconcile on the loop.
    def on_report(self, report: ExecutionReport) -> OrderRecord | None:
        """See :meth:`AsyncBroker.on_report`."""
        return self._portal.call(self._core.on_report, report)

    def on_reports(self, reports: Iterable[ExecutionReport]) -> int:
        """See :meth:`AsyncBroker.on_reports`."""
        return self._portal.call(self._core.on_reports, reports)

    def run_reports(self) -> None:
        """See :meth:`AsyncBroker.run_reports`: record reports as they arrive, blocking the
        calling thread until :meth:`close` (then it returns) or an interrupt (Ctrl-C)."""
        loop = self._portal.start_task_soon(self._core.run_reports)
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
            self._report_loops.discard(loop)

    def cancel(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.cancel`."""
        return self._portal.call(self._core.cancel, order_id)

    def status(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.status`."""
        return self._portal.call(self._core.status, order_id)

    def get(self, order_id: str) -> OrderRecord:
        """See :meth:`AsyncBroker.get`."""
        return self._portal.call(self._core.get, order_id)

    def fills(self, order_id: str) -> tuple[Fill, ...]:
        """See :meth:`AsyncBroker.fills`."""
        return self._portal.call(self._core.fills, order_id)

    def trace(self, order_id: str) -> Trace:
        """See :meth:`AsyncBroker.trace`."""
        return self._portal.call(self._core.trace, order_id)

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

        return self._portal.call(stats)

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

        return self._portal.call(load)
