"""Broker: the synchronous face of :class:`AsyncBroker`, for scripts and notebooks.

Every method runs the AsyncBroker's on a private event loop in a background thread (anyio's
blocking portal); nothing is implemented twice. Close it (or use ``with``) to stop the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from anyio.from_thread import BlockingPortal, start_blocking_portal

from orderdesk.broker.core import AsyncBroker, ConnectorFactory, OrderUpdate
from orderdesk.ledger import Ledger, Trace
from orderdesk.model import Fill, Order, OrderStatus
from orderdesk.model.records import OrderRecord

__all__ = ["Broker"]


class Broker:
    """Submit, cancel, query and load orders, synchronously. Takes AsyncBroker's arguments."""

    def __init__(self, ledger: Ledger, connect: ConnectorFactory, **options: Any) -> None:
        self._start(AsyncBroker(ledger, connect, **options))

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

    @property
    def core(self) -> AsyncBroker:
        """The AsyncBroker doing the work."""
        return self._core

    def close(self) -> None:
        """Stop the background event loop."""
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

    def subscribe(self, callback: Callable[[OrderUpdate], None]) -> Callable[[], None]:
        """Call ``callback`` (on the broker's thread) after every recorded change."""
        return self._core.subscribe(callback)

    def submit(self, order: Order) -> OrderRecord:
        """See :meth:`AsyncBroker.submit`."""
        return self._portal.call(self._core.submit, order)

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
