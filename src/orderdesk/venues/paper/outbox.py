"""Where an account's execution reports wait until their delivery time."""

from __future__ import annotations

import heapq
from datetime import datetime

from orderdesk.model import ExecutionReport

__all__ = ["Entry", "Outbox"]

Entry = list[object]
"""``[due, push order, report, live]``: mutable so a fault can withdraw a queued report."""


class Outbox:
    """Reports of one account ordered by (due time, push order)."""

    __slots__ = ("_counter", "_heap", "_latest")

    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._counter = 0
        self._latest: datetime | None = None  # no entry is due later than this

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, due: datetime, report: ExecutionReport) -> Entry:
        """Queue ``report`` for delivery at ``due``; return its entry."""
        self._counter += 1
        entry: Entry = [due, self._counter, report, True]
        heapq.heappush(self._heap, entry)
        latest = self._latest
        if latest is None or due > latest:
            self._latest = due
        return entry

    def take_due(self, now: datetime) -> list[ExecutionReport]:
        """Remove and return the live reports due at or before ``now``, in delivery order."""
        heap = self._heap
        out: list[ExecutionReport] = []
        latest = self._latest
        if heap and latest is not None and latest <= now:
            # Everything is due: sorting gives the order the heap pops in, at less cost.
            heap.sort()
            self._heap = []
            self._latest = None
            for entry in heap:
                if entry[3]:
                    entry[3] = False  # delivered: a fault can no longer move it
                    out.append(entry[2])  # type: ignore[arg-type]  # an ExecutionReport, by push
            return out
        pop = heapq.heappop
        while heap and heap[0][0] <= now:  # type: ignore[operator]
            entry = pop(heap)
            if entry[3]:
                entry[3] = False  # delivered: a fault can no longer move it
                out.append(entry[2])  # type: ignore[arg-type]  # an ExecutionReport, by push
        if not heap:
            self._latest = None
        return out

    def next_due(self) -> datetime | None:
        """Return when the next queued report falls due, if any."""
        if not self._heap:
            return None
        due = self._heap[0][0]
        assert isinstance(due, datetime)
        return due
