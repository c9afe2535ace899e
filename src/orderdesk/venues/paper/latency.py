"""Latency model: how long after the venue acts its execution reports reach the client."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["LatencyModel"]

_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """Fixed delays plus uniform jitter in ``[0, jitter]``, drawn from the venue's seeded rng.

    Reports of one order are never delivered out of order by jitter alone (the venue keeps
    them monotone per order); reordering is a fault knob of its own.
    """

    ack: timedelta = _ZERO
    report: timedelta = _ZERO
    jitter: timedelta = _ZERO

    def __post_init__(self) -> None:
        if min(self.ack, self.report, self.jitter) < _ZERO:
            raise ValueError("latencies cannot be negative")

    def ack_delay(self, rng: random.Random) -> timedelta:
        """Return the delay of an ACK report."""
        return self.ack + self._jitter(rng)

    def report_delay(self, rng: random.Random) -> timedelta:
        """Return the delay of a fill, cancel or expiry report."""
        return self.report + self._jitter(rng)

    def _jitter(self, rng: random.Random) -> timedelta:
        if not self.jitter:
            return _ZERO
        # Whole microseconds, so the same seed gives the same datetimes on every platform.
        return timedelta(microseconds=rng.randrange(self.jitter // timedelta(microseconds=1) + 1))
