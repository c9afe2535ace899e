"""The retry policy, as data: what to do for each operation and error.

===============  ===============  ===============  ===============
error            submit           cancel           query
===============  ===============  ===============  ===============
NotSent          retry            retry            retry
OutcomeUnknown   resolve          retry            retry
RateLimited      retry after      retry after      retry after
Banned           give up          retry after      give up
CircuitOpen      give up          (never raised)   give up
any other        give up          give up          give up
===============  ===============  ===============  ===============

*resolve*: the submit may have been placed, so it is never resent blindly; the order goes
IN_DOUBT and is resolved by querying. *retry after*: the venue refused the request
unprocessed; wait at least its ``Retry-After``. A cancel is safe to repeat (OK and "not
found" both settle it), so it is retried through anything but a plain failure.

Delays are exponential with full jitter and a cap (a uniform draw from 0 to
``min(cap, base * 2**attempt)``), never shorter than the venue's ``Retry-After``; attempts
and total time are bounded; a retry budget keeps retries to a fraction of requests; and a
per-venue circuit breaker stops submits and queries to a failing venue, never cancels.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from types import MappingProxyType
from typing import Final, TypeVar

from tenacity import AsyncRetrying, RetryCallState

from orderdesk.errors import (
    Banned,
    CircuitOpen,
    NotSent,
    OutcomeUnknown,
    RateLimited,
    VenueError,
)
from orderdesk.ports import Clock

__all__ = [
    "RETRY_TABLE",
    "CircuitBreaker",
    "Operation",
    "RetryAction",
    "RetryBudget",
    "RetryPolicy",
    "Retrier",
    "action_for",
]

T = TypeVar("T")


class Operation(StrEnum):
    """What the broker asked the venue to do."""

    SUBMIT = "submit"
    CANCEL = "cancel"
    QUERY = "query"


class RetryAction(StrEnum):
    """What to do after an error."""

    RETRY = "retry"
    RETRY_AFTER = "retry after"
    RESOLVE = "resolve"
    GIVE_UP = "give up"


_R, _RA, _RS, _G = (
    RetryAction.RETRY,
    RetryAction.RETRY_AFTER,
    RetryAction.RESOLVE,
    RetryAction.GIVE_UP,
)

RETRY_TABLE: Final[Mapping[type[VenueError], Mapping[Operation, RetryAction]]] = MappingProxyType(
    {
        error: MappingProxyType(dict(zip(Operation, row, strict=True)))
        for error, row in {
            #                 submit  cancel  query
            NotSent:         (_R,     _R,     _R),
            OutcomeUnknown:  (_RS,    _R,     _R),
            RateLimited:     (_RA,    _RA,    _RA),
            Banned:          (_G,     _RA,    _G),
            CircuitOpen:     (_G,     _G,     _G),
            VenueError:      (_G,     _G,     _G),
        }.items()
    }
)  # fmt: skip
"""``RETRY_TABLE[error class][operation]``; an error takes the row of its nearest class."""


def action_for(operation: Operation, error: BaseException) -> RetryAction:
    """Return the table's action for ``error`` during ``operation``."""
    for klass in type(error).__mro__:
        row = RETRY_TABLE.get(klass)
        if row is not None:
            return row[operation]
    return RetryAction.GIVE_UP


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The numbers of the retry policy; defaults suit a REST venue."""

    base: float = 0.1
    """First backoff ceiling, seconds."""
    cap: float = 10.0
    """Largest backoff ceiling, seconds."""
    max_attempts: int = 6
    """Attempts in all, the first included."""
    max_total: float = 30.0
    """Seconds from the first attempt after which no retry starts."""
    budget_ratio: float = 0.1
    """Retries allowed per first attempt, on average (0.1: at most 10% extra requests)."""
    budget_reserve: float = 10.0
    """Retries available before any request has earned budget."""
    breaker_failures: int = 5
    """Consecutive failures that open a venue's circuit breaker."""
    breaker_cooldown: float = 30.0
    """Seconds an open breaker waits before letting one probe through."""

    def ceiling(self, attempt: int) -> float:
        """Return the full-jitter bound for retry number ``attempt`` (1 for the first)."""
        return min(self.cap, self.base * float(2 ** (attempt - 1)))


class RetryBudget:
    """A token bucket: first attempts deposit ``ratio``, each retry spends one."""

    __slots__ = ("_cap", "_ratio", "tokens")

    def __init__(self, ratio: float, reserve: float) -> None:
        self._ratio = ratio
        self._cap = reserve
        self.tokens = reserve

    def deposit(self) -> None:
        """Credit one first attempt."""
        self.tokens = min(self._cap, self.tokens + self._ratio)

    def withdraw(self) -> bool:
        """Spend one retry if the budget allows; return whether it did."""
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class BreakerState(StrEnum):
    """Where a circuit breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(slots=True)
class CircuitBreaker:
    """Stop sending submits and queries to a venue that keeps failing; cancels always go."""

    venue: str
    clock: Clock
    failures_to_open: int
    cooldown: float
    failures: int = 0
    opened_at: datetime | None = None
    blocked_until: datetime | None = None
    transitions: list[tuple[datetime, BreakerState]] = field(default_factory=list)
    last_failure: str | None = None
    """The last failure's message: what a :class:`CircuitOpen` is about."""

    @property
    def state(self) -> BreakerState:
        """The breaker's state now."""
        if self.opened_at is None:
            return BreakerState.CLOSED
        waited = (self.clock.now() - self.opened_at).total_seconds()
        return BreakerState.HALF_OPEN if waited >= self.cooldown else BreakerState.OPEN

    def check(self, operation: Operation) -> None:
        """Raise :class:`CircuitOpen` if ``operation`` may not be sent now."""
        if operation is Operation.CANCEL:
            return
        now = self.clock.now()
        if self.blocked_until is not None and now < self.blocked_until:
            wait = (self.blocked_until - now).total_seconds()
            raise CircuitOpen(self.venue, operation.value, wait, self.last_failure)
        if self.state is BreakerState.OPEN:
            assert self.opened_at is not None
            wait = self.cooldown - (now - self.opened_at).total_seconds()
            raise CircuitOpen(self.venue, operation.value, wait, self.last_failure)

    def record_success(self) -> None:
        """Close the breaker."""
        if self.opened_at is not None:
            self.transitions.append((self.clock.now(), BreakerState.CLOSED))
        self.failures = 0
        self.opened_at = None

    def record_failure(self, error: VenueError) -> None:
        """Count a failure; open (or re-open after a failed probe) at the threshold."""
        now = self.clock.now()
        self.last_failure = str(error)
        if isinstance(error, RateLimited | Banned):
            # The venue said when to come back: nobody but cancels goes before then.
            until = now + _seconds(error.retry_after)
            if self.blocked_until is None or until > self.blocked_until:
                self.blocked_until = until
            return
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or (
            self.opened_at is None and self.failures >= self.failures_to_open
        ):
            self.opened_at = now
            self.transitions.append((now, BreakerState.OPEN))


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


Sleep = Callable[[float], Awaitable[None]]


class Retrier:
    """Run venue calls under the policy; one per venue (it owns the venue's breaker)."""

    def __init__(
        self,
        venue: str,
        clock: Clock,
        rng: random.Random,
        policy: RetryPolicy | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.rng = rng
        self.sleep: Sleep = sleep or asyncio.sleep
        self.budget = RetryBudget(self.policy.budget_ratio, self.policy.budget_reserve)
        self.breaker = CircuitBreaker(
            venue, clock, self.policy.breaker_failures, self.policy.breaker_cooldown
        )
        self.requests = 0
        self.retries = 0
        self.delays: list[tuple[float, float, float]] = []
        """Every wait taken: (delay, its full-jitter bound, the venue's Retry-After or 0)."""

    async def call(
        self,
        operation: Operation,
        send: Callable[[], Awaitable[T]],
        *,
        deadline: datetime | None = None,
    ) -> T:
        """Call ``send`` until it succeeds or the policy says stop; raise the last error.

        A submit whose outcome is unknown is raised at once (:data:`RetryAction.RESOLVE`):
        the caller resolves it by querying. No retry starts whose longest wait would end
        after ``deadline``: a caller with a bound of its own is not held past it.
        """
        self.budget.deposit()
        started = self.clock.now()
        # The first attempt runs outside tenacity: nearly every call succeeds at once, and
        # tenacity's machinery costs more than the venue call itself. Retries, when the
        # policy allows one, run under tenacity exactly as they would have from the start.
        try:
            return await self._attempt(operation, send)
        except VenueError as error:
            if not self._should_retry(operation, error, 1, started, deadline):
                raise
            await self.sleep(self._wait(error, 1))

        def should_retry(state: RetryCallState) -> bool:
            outcome = state.outcome
            assert outcome is not None
            error = outcome.exception()
            if error is None:
                return False
            attempt = state.attempt_number + 1
            return self._should_retry(operation, error, attempt, started, deadline)

        def wait(state: RetryCallState) -> float:
            outcome = state.outcome
            assert outcome is not None
            error = outcome.exception()
            assert error is not None  # tenacity waits only after a retried failure
            return self._wait(error, state.attempt_number + 1)

        retrying = AsyncRetrying(retry=should_retry, wait=wait, sleep=self.sleep, reraise=True)
        return await retrying(partial(self._attempt, operation, send))

    async def _attempt(self, operation: Operation, send: Callable[[], Awaitable[T]]) -> T:
        self.breaker.check(operation)
        self.requests += 1
        try:
            result = await send()
        except VenueError as error:
            self.breaker.record_failure(error)
            raise
        self.breaker.record_success()
        return result

    def _should_retry(
        self,
        operation: Operation,
        error: BaseException,
        attempt: int,
        started: datetime,
        deadline: datetime | None = None,
    ) -> bool:
        """Whether the policy allows another attempt after failed attempt ``attempt``."""
        action = action_for(operation, error)
        if action in (RetryAction.GIVE_UP, RetryAction.RESOLVE):
            return False
        if attempt >= self.policy.max_attempts:
            return False
        now = self.clock.now()
        elapsed = (now - started).total_seconds()
        if elapsed >= self.policy.max_total:
            return False
        if deadline is not None:
            longest = self.policy.ceiling(attempt)
            if isinstance(error, RateLimited | Banned):
                longest = max(longest, error.retry_after)
            if now + timedelta(seconds=longest) >= deadline:
                return False
        return self.budget.withdraw()

    def _wait(self, error: BaseException, attempt: int) -> float:
        """Draw the wait after failed attempt ``attempt`` and note it."""
        bound = self.policy.ceiling(attempt)
        delay = self.rng.uniform(0, bound)
        floor = 0.0
        if isinstance(error, RateLimited | Banned):
            floor = error.retry_after
            delay = max(delay, floor)
        self.delays.append((delay, bound, floor))
        self.retries += 1
        return delay
