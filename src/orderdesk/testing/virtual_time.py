"""Simulated time for concurrent tasks on a ManualClock.

A task that sleeps through :meth:`VirtualTime.sleep` parks until :meth:`VirtualTime.run`
moves the clock to its wake-up time. The clock moves only when every task has parked (or
finished), and only as far as the earliest wake-up, so concurrent resolvers interleave at
their real await points and no task's sleep lengthens another's wait. Pass
``VirtualTime.sleep`` to :class:`~orderdesk.broker.core.AsyncBroker` as its ``sleep``.

Work that waits off the clock (on a thread, a socket) does not hold time still while
others sleep; with nobody asleep it is given real time before :class:`Deadlock` is
raised.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from orderdesk.clocks import ManualClock

__all__ = ["Deadlock", "Outcome", "VirtualTime"]

T = TypeVar("T")

_QUIET_TURNS = 3
"""Event-loop turns in a row with no task parking or finishing: the tasks are all parked."""


_REAL_WAIT, _REAL_WAITS = 0.001, 2_000
"""How long, in real time, to let work waiting on no sleeper get on before calling it a
deadlock."""


class Deadlock(AssertionError):
    """Every task waits, and on nothing that time can end."""


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """How one task of :meth:`VirtualTime.run` ended, in simulated time."""

    started: datetime
    finished: datetime | None
    """When it returned or raised; ``None`` if it was still running at the limit."""
    value: T | None = None
    error: BaseException | None = None

    @property
    def elapsed(self) -> timedelta | None:
        """Simulated time from start to end; ``None`` if it never ended."""
        return None if self.finished is None else self.finished - self.started

    @property
    def stuck(self) -> bool:
        """Whether it was still running at the limit (and was abandoned)."""
        return self.finished is None


class VirtualTime:
    """A ManualClock and the sleepers waiting on it; ``on_advance`` runs after each move."""

    def __init__(self, clock: ManualClock, on_advance: Callable[[], None] | None = None) -> None:
        self.clock = clock
        self.on_advance = on_advance or (lambda: None)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._parks = 0

    async def sleep(self, seconds: float) -> None:
        """Park the calling task for ``seconds`` of simulated time."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake = self.clock.now() + timedelta(seconds=seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (wake, next(self._order), future))
        self._parks += 1
        await future

    def advance(self, delta: timedelta) -> None:
        """Move the clock by ``delta`` at once (between runs): sleepers due meanwhile wake
        at the next run, late, as a process that was not scheduled."""
        self.clock.advance(delta)
        self.on_advance()

    async def run(
        self,
        *work: Awaitable[T] | Callable[[], Coroutine[Any, Any, T]],
        limit: timedelta,
        keep_running: bool = False,
    ) -> list[Outcome[T]]:
        """Run ``work`` concurrently until all of it ends or ``limit`` of simulated time
        has passed; work still running then is cancelled (a process that died), or with
        ``keep_running`` left to go on whenever the clock next moves (pass tasks to keep
        hold of it)."""
        deadline = self.clock.now() + limit
        started = self.clock.now()
        finished: dict[int, datetime] = {}
        tasks: list[asyncio.Task[T]] = []
        for index, item in enumerate(work):
            awaitable = item() if callable(item) else item
            task: asyncio.Task[T] = asyncio.ensure_future(awaitable)

            def note(_: object, i: int = index) -> None:
                finished.setdefault(i, self.clock.now())

            task.add_done_callback(note)
            tasks.append(task)
        while True:
            await self._quiesce(tasks)
            if all(task.done() for task in tasks):
                break
            self._drop_cancelled()
            if not self._sleepers and not await self._outwait(tasks):
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise Deadlock("every task waits, and none of them on the clock")
            if self._sleepers[0][0] > deadline:
                break
            self._wake_next()
        outcomes: list[Outcome[T]] = []
        for index, task in enumerate(tasks):
            if not task.done():
                if not keep_running:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                outcomes.append(Outcome(started, None))
            elif task.cancelled():
                outcomes.append(Outcome(started, finished[index], error=asyncio.CancelledError()))
            elif task.exception() is not None:
                outcomes.append(Outcome(started, finished[index], error=task.exception()))
            else:
                outcomes.append(Outcome(started, finished[index], value=task.result()))
        self._drop_cancelled()
        return outcomes

    async def drain(self, limit: timedelta) -> None:
        """Let work nobody waits for (a broker's own background tasks) run until it ends or
        ``limit`` of simulated time has passed; it is left parked then."""
        deadline = self.clock.now() + limit
        while True:
            await self._quiesce([])
            self._drop_cancelled()
            if not self._sleepers or self._sleepers[0][0] > deadline:
                return
            self._wake_next()

    def _wake_next(self) -> None:
        """Move the clock to the earliest wake-up (never back: a jump of :meth:`advance`
        may have passed it) and wake everyone due by then."""
        wake = max(self._sleepers[0][0], self.clock.now())
        self.clock.set(wake)
        self.on_advance()
        while self._sleepers and self._sleepers[0][0] <= wake:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def _quiesce(self, tasks: list[asyncio.Task[T]]) -> None:
        """Yield until nothing parks or finishes for a few turns of the event loop."""
        quiet = 0
        last = (self._parks, sum(task.done() for task in tasks))
        while quiet < _QUIET_TURNS:
            await asyncio.sleep(0)
            now = (self._parks, sum(task.done() for task in tasks))
            quiet = quiet + 1 if now == last else 0
            last = now

    async def _outwait(self, tasks: list[asyncio.Task[T]]) -> bool:
        """Give work that waits on something outside the clock (a thread, a socket) a
        moment of real time; return whether anything parked or finished meanwhile."""
        last = (self._parks, sum(task.done() for task in tasks))
        for _ in range(_REAL_WAITS):
            await asyncio.sleep(_REAL_WAIT)
            if (self._parks, sum(task.done() for task in tasks)) != last:
                return True
        return False

    def _drop_cancelled(self) -> None:
        """Forget sleepers whose task was cancelled (their futures are done)."""
        alive = [entry for entry in self._sleepers if not entry[2].done()]
        if len(alive) != len(self._sleepers):
            heapq.heapify(alive)
            self._sleepers = alive
