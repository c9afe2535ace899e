"""Fault injection: the ways a real venue fails, each a seeded knob.

Probabilities are per request (wire faults) or per report (stream faults), drawn from the
account's seeded ``random.Random``; a knob at 0 never draws, so turning one on does not
shift the random stream of the others' zero settings. Every knob makes the in-process venue
look, to its caller, exactly like a flaky remote one:

================== ==========================================================================
knob               what the caller sees
================== ==========================================================================
refuse_connection  :class:`~orderdesk.errors.NotSent`; the venue saw nothing
drop_request       :class:`~orderdesk.errors.OutcomeUnknown`; the venue saw nothing
drop_reply         ``OutcomeUnknown``; the venue processed the request
server_error       ``OutcomeUnknown`` (HTTP 503); the venue processed the request
timeout            ``OutcomeUnknown`` (timed out); the venue processed the request
not_found_lag      for this long after acceptance the order is invisible: queries say not
                   found, cancels say NOT_FOUND (and do nothing), lists and fills omit it
duplicate_reports  a report is delivered again, 1 to ``duplicate_copies`` extra times
reorder_reports    a report is held back up to ``reorder_window``, so later ones overtake it
fill_before_ack    an order's ACK is delivered after the fills of its first matching
fill_after_cancel  fill reports still undelivered at a cancel are delivered after its report
cancel_too_late    the order fills completely (as maker, at its limit price) just before the
                   cancel is processed, which then answers TOO_LATE
outages            during each ``(start, end)`` window every request fails with
                   :class:`~orderdesk.errors.NotSent` (connection refused): the venue is down
rate_limit         more than ``rate_limit`` requests in ``rate_window``:
                   :class:`~orderdesk.errors.RateLimited` with ``retry_after`` until the
                   window ends; ``ban_after`` more requests before then:
                   :class:`~orderdesk.errors.Banned` for ``ban_duration``
================== ==========================================================================

The wire faults (refuse to timeout) apply to order entry (submit and cancel), and to reads
too when ``faulty_reads`` is set; outages and rate limits apply to every request. Client-id
uniqueness (open orders only, as Binance spot, or forever) is a property of the venue:
:class:`~orderdesk.venues.paper.exchange.ClientIdScope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orderdesk.errors import Banned, RateLimited

__all__ = ["Faults", "RateGate"]

_ZERO = timedelta(0)


def _probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} is a probability in [0, 1], got {value!r}")


@dataclass(frozen=True, slots=True)
class Faults:
    """The fault knobs of one account; all off by default."""

    refuse_connection: float = 0.0
    drop_request: float = 0.0
    drop_reply: float = 0.0
    server_error: float = 0.0
    timeout: float = 0.0
    faulty_reads: bool = False
    not_found_lag: timedelta = _ZERO
    duplicate_reports: float = 0.0
    duplicate_copies: int = 1
    reorder_reports: float = 0.0
    reorder_window: timedelta = timedelta(seconds=1)
    fill_before_ack: float = 0.0
    fill_after_cancel: float = 0.0
    cancel_too_late: float = 0.0
    rate_limit: int | None = None
    rate_window: timedelta = timedelta(seconds=1)
    ban_after: int = 3
    ban_duration: timedelta = timedelta(minutes=2)
    outages: tuple[tuple[datetime, datetime], ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "refuse_connection",
            "drop_request",
            "drop_reply",
            "server_error",
            "timeout",
            "duplicate_reports",
            "reorder_reports",
            "fill_before_ack",
            "fill_after_cancel",
            "cancel_too_late",
        ):
            _probability(name, getattr(self, name))
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError("rate_limit must be at least 1 request per window")
        if self.duplicate_copies < 1:
            raise ValueError("duplicate_copies must be at least 1")
        if any(end <= start for start, end in self.outages):
            raise ValueError("an outage must end after it starts")
        if self.ban_after < 1:
            raise ValueError("ban_after must be at least 1")
        if min(self.not_found_lag, self.reorder_window, self.ban_duration) < _ZERO:
            raise ValueError("durations cannot be negative")
        if self.rate_window <= _ZERO:
            raise ValueError("rate_window must be positive")


class RateGate:
    """A fixed-window request limit that answers 429, then 418 to clients that ignore it."""

    __slots__ = ("_banned_until", "_blocked_until", "_count", "_faults", "_start", "_violations")

    def __init__(self, faults: Faults) -> None:
        self._faults = faults
        self._start: datetime | None = None
        self._count = 0
        self._blocked_until: datetime | None = None
        self._banned_until: datetime | None = None
        self._violations = 0

    @property
    def limited(self) -> bool:
        """Whether this gate limits requests at all (it has a rate limit)."""
        return self._faults.rate_limit is not None

    def admit(self, venue: str, operation: str, now: datetime) -> None:
        """Count one request at ``now``; raise ``RateLimited`` or ``Banned`` to refuse it."""
        faults = self._faults
        limit = faults.rate_limit
        if limit is None:
            return
        if self._banned_until is not None:
            if now < self._banned_until:
                raise Banned(venue, operation, _seconds(self._banned_until - now))
            self._banned_until = None
        if self._blocked_until is not None:
            if now < self._blocked_until:
                self._violations += 1
                if self._violations >= faults.ban_after:
                    self._banned_until = now + faults.ban_duration
                    self._blocked_until = None
                    self._violations = 0
                    raise Banned(venue, operation, _seconds(faults.ban_duration))
                raise RateLimited(venue, operation, _seconds(self._blocked_until - now))
            self._blocked_until = None
            self._violations = 0
        start = self._start
        if start is None or now >= start + faults.rate_window:
            start = self._start = now
            self._count = 0
        if self._count >= limit:
            self._blocked_until = start + faults.rate_window
            raise RateLimited(venue, operation, _seconds(self._blocked_until - now))
        self._count += 1


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()
