"""VirtualTime: tasks interleave at their sleeps, time moves only to the next wake-up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from orderdesk.clocks import ManualClock
from orderdesk.testing.virtual_time import Deadlock, VirtualTime

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_each_task_wakes_at_its_own_time() -> None:
    clock = ManualClock(T0)
    time = VirtualTime(clock)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, *naps: float) -> None:
        for nap in naps:
            await time.sleep(nap)
            woke.append((name, (clock.now() - T0).total_seconds()))

    async def go() -> list[timedelta | None]:
        outcomes = await time.run(
            lambda: sleeper("a", 5), lambda: sleeper("b", 2, 1), limit=timedelta(seconds=10)
        )
        return [o.elapsed for o in outcomes]

    assert asyncio.run(go()) == [timedelta(seconds=5), timedelta(seconds=3)]
    assert woke == [("b", 2.0), ("b", 3.0), ("a", 5.0)]


def test_work_past_the_limit_is_abandoned_or_kept_running() -> None:
    clock = ManualClock(T0)
    time = VirtualTime(clock)

    async def go() -> tuple[bool, bool, bool]:
        [dead] = await time.run(lambda: time.sleep(60), limit=timedelta(seconds=10))
        task = asyncio.ensure_future(time.sleep(60))
        [alive] = await time.run(task, limit=timedelta(seconds=10), keep_running=True)
        await time.run(lambda: time.sleep(60), limit=timedelta(seconds=60))
        return dead.stuck, alive.stuck, task.done()

    assert asyncio.run(go()) == (True, True, True)


def test_a_task_that_waits_on_nothing_the_clock_can_end_is_a_deadlock() -> None:
    time = VirtualTime(ManualClock(T0))

    async def go() -> None:
        await time.run(lambda: asyncio.Event().wait(), limit=timedelta(seconds=10))

    with pytest.raises(Deadlock, match=r"^every task waits, and none of them on the clock$"):
        asyncio.run(go())


def test_a_task_waiting_on_a_thread_alone_is_not_a_deadlock() -> None:
    time = VirtualTime(ManualClock(T0))

    async def go() -> list[int | None]:
        outcomes = await time.run(lambda: asyncio.to_thread(lambda: 7), limit=timedelta(1))
        return [o.value for o in outcomes]

    assert asyncio.run(go()) == [7]
