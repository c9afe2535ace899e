"""Who hears of every change the broker records: callbacks and async iterators."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

from orderdesk.model import Fill
from orderdesk.model.records import OrderRecord

__all__ = ["OrderUpdate", "Subscriptions"]


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What subscribers hear after every change the broker records: the order as it now is,
    and the fill that changed it, if one did."""

    record: OrderRecord
    fill: Fill | None = None


class Subscriptions:
    """The subscribers, called in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[OrderUpdate], None]] = []

    def subscribe(self, callback: Callable[[OrderUpdate], None]) -> Callable[[], None]:
        """Call ``callback`` after every recorded change; return the unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    async def updates(self) -> AsyncGenerator[OrderUpdate, None]:
        """Yield every recorded change from now on."""
        queue: asyncio.Queue[OrderUpdate] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        here = threading.get_ident()

        def put(update: OrderUpdate) -> None:
            # A broker whose store works on its own thread publishes from there.
            if threading.get_ident() == here:
                queue.put_nowait(update)
            else:
                loop.call_soon_threadsafe(queue.put_nowait, update)

        unsubscribe = self.subscribe(put)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    def publish(self, record: OrderRecord, fill: Fill | None = None) -> None:
        """Tell every subscriber of one recorded change."""
        update = OrderUpdate(record, fill)
        for callback in list(self._subscribers):
            callback(update)
