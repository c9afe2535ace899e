"""The retry policy: the table, the backoff bounds, the budget, and the circuit breaker."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from orderdesk.broker.retry import (
    RETRY_TABLE,
    BreakerState,
    CircuitBreaker,
    Operation,
    Retrier,
    RetryAction,
    RetryPolicy,
    action_for,
)
from orderdesk.clocks import ManualClock
from orderdesk.errors import (
    Banned,
    CircuitOpen,
    NotSent,
    OutcomeUnknown,
    RateLimited,
    VenueError,
)
from orderdesk.testing.factories import T0

# The README's retry table ("The Broker") typed out again: (submit, cancel, query).
EXPECTED = {
    NotSent: ("retry", "retry", "retry"),
    OutcomeUnknown: ("resolve", "retry", "retry"),
    RateLimited: ("retry after", "retry after", "retry after"),
    Banned: ("give up", "retry after", "give up"),
    CircuitOpen: ("give up", "give up", "give up"),
    VenueError: ("give up", "give up", "give up"),
}
OPERATIONS = (Operation.SUBMIT, Operation.CANCEL, Operation.QUERY)


def make_error(kind: type[VenueError], retry_after: float = 2.0) -> VenueError:
    if kind in (RateLimited, Banned, CircuitOpen):
        return kind("paper", "op", retry_after)
    return kind("paper", "op", "boom")


class Harness:
    """A Retrier on a manual clock whose sleeps advance the clock."""

    def __init__(self, policy: RetryPolicy | None = None, seed: int = 7) -> None:
        self.clock = ManualClock(T0)

        async def sleep(seconds: float) -> None:
            self.clock.advance(timedelta(seconds=seconds))

        self.retrier = Retrier("paper", self.clock, random.Random(seed), policy, sleep)

    def run(self, operation: Operation, send: Callable[[], object]) -> object:
        async def call() -> object:
            async def once() -> object:
                return send()

            return await self.retrier.call(operation, once)

        return asyncio.run(call())


def failing(error: VenueError, times: int) -> tuple[Callable[[], str], list[int]]:
    calls = [0]

    def send() -> str:
        calls[0] += 1
        if calls[0] <= times:
            raise error
        return "ok"

    return send, calls


def test_the_code_table_is_the_documented_table() -> None:
    for error, row in EXPECTED.items():
        assert tuple(RETRY_TABLE[error][op].value for op in OPERATIONS) == row


class Unclassified(VenueError):
    pass


@pytest.mark.parametrize("error", [*EXPECTED, Unclassified])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_error_and_operation_does_what_the_table_says(
    error: type[VenueError], operation: Operation
) -> None:
    harness = Harness()
    send, calls = failing(make_error(error), times=2)
    expected = action_for(operation, make_error(error))
    assert expected.value == EXPECTED.get(error, EXPECTED[VenueError])[OPERATIONS.index(operation)]

    if error is CircuitOpen:  # raised by our own breaker before sending: never retried
        with pytest.raises(CircuitOpen):
            harness.run(operation, send)
        assert calls[0] == 1
        return
    if expected in (RetryAction.RETRY, RetryAction.RETRY_AFTER):
        assert harness.run(operation, send) == "ok"
        assert calls[0] == 3
    else:
        with pytest.raises(error):
            harness.run(operation, send)
        assert calls[0] == 1


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_delay_is_inside_the_full_jitter_bound_and_attempts_are_bounded(
    seed: int, figure: Callable[[str], None]
) -> None:
    policy = RetryPolicy(base=0.1, cap=1.0, max_attempts=6, max_total=1000, breaker_failures=99)
    harness = Harness(policy, seed)
    send, calls = failing(make_error(NotSent), times=100)
    with pytest.raises(NotSent):
        harness.run(Operation.QUERY, send)
    assert calls[0] == 6
    bounds = [min(1.0, 0.1 * 2**i) for i in range(5)]
    assert [bound for _, bound, _ in harness.retrier.delays] == bounds
    assert all(0 <= delay <= bound for delay, bound, _ in harness.retrier.delays)
    figure(f"seed {seed}: delays {[round(d, 3) for d, _, _ in harness.retrier.delays]}")


def test_no_retry_starts_before_retry_after() -> None:
    harness = Harness(RetryPolicy(base=0.1, cap=1.0))
    send, calls = failing(make_error(RateLimited, retry_after=5.0), times=2)
    assert harness.run(Operation.SUBMIT, send) == "ok"
    assert calls[0] == 3
    assert [floor for _, _, floor in harness.retrier.delays] == [5.0, 5.0]
    assert all(delay >= 5.0 for delay, _, _ in harness.retrier.delays)
    assert harness.clock.now() - T0 >= timedelta(seconds=10)


def test_no_retry_starts_after_the_total_time() -> None:
    policy = RetryPolicy(base=10, cap=10, max_attempts=100, max_total=25, breaker_failures=999)
    harness = Harness(policy)
    send, calls = failing(make_error(NotSent), times=100)
    with pytest.raises(NotSent):
        harness.run(Operation.QUERY, send)
    # Retries start at 0 s and then within 25 s of it; the last one may end 10 s later.
    assert harness.clock.now() - T0 <= timedelta(seconds=35)
    assert calls[0] < 100
    assert sum(delay for delay, _, _ in harness.retrier.delays[:-1]) < 25


def test_a_submit_in_doubt_is_never_resent() -> None:
    harness = Harness()
    send, calls = failing(make_error(OutcomeUnknown), times=1)
    with pytest.raises(OutcomeUnknown):
        harness.run(Operation.SUBMIT, send)
    assert calls[0] == 1
    assert harness.retrier.retries == 0


def test_a_60_second_outage_costs_at_most_10_percent_more_requests(
    figure: Callable[[str], None],
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}")
    rng = random.Random(seed)
    harness = Harness(RetryPolicy(), seed)
    clock, retrier = harness.clock, harness.retrier
    down_from, down_until = T0 + timedelta(seconds=60), T0 + timedelta(seconds=120)
    cancels_sent_in_outage = 0
    first_attempts = 0

    def venue() -> str:
        nonlocal cancels_sent_in_outage
        if down_from <= clock.now() < down_until:
            if current is Operation.CANCEL:
                cancels_sent_in_outage += 1
            raise NotSent("paper", current.value, "connection refused")
        return "ok"

    outcomes = {"ok": 0, "failed": 0, "refused by breaker": 0}
    while clock.now() < T0 + timedelta(seconds=240):
        current = rng.choice([Operation.SUBMIT, Operation.QUERY, Operation.CANCEL])
        first_attempts += 1
        try:
            harness.run(current, venue)
            outcomes["ok"] += 1
        except CircuitOpen:
            outcomes["refused by breaker"] += 1
        except NotSent:
            outcomes["failed"] += 1
        clock.advance(timedelta(milliseconds=250))

    sent = retrier.requests
    extra = (sent - (first_attempts - outcomes["refused by breaker"])) / first_attempts
    states = [state for _, state in retrier.breaker.transitions]
    shown = [state.value for state in states]
    figure(
        f"seed {seed}: {first_attempts} calls, {sent} requests sent, retries "
        f"{retrier.retries} ({extra:.1%} extra), breaker {shown}, "
        f"cancels sent during the outage {cancels_sent_in_outage}, outcomes {outcomes}"
    )
    assert extra <= 0.10
    assert BreakerState.OPEN in states
    assert cancels_sent_in_outage > 0
    assert states[-1] is BreakerState.CLOSED
    assert retrier.breaker.state is BreakerState.CLOSED


def test_the_breaker_never_blocks_cancels() -> None:
    harness = Harness(RetryPolicy(breaker_failures=2, max_attempts=1))
    send, _ = failing(make_error(NotSent), times=2)
    for _ in range(2):
        with pytest.raises(NotSent):
            harness.run(Operation.QUERY, send)
    assert harness.retrier.breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        harness.run(Operation.SUBMIT, lambda: "never sent")
    assert harness.run(Operation.CANCEL, lambda: "cancelled") == "cancelled"


def test_a_rate_limit_holds_back_everything_but_cancels_until_it_ends() -> None:
    harness = Harness(RetryPolicy(max_attempts=1))
    send, _ = failing(make_error(RateLimited, retry_after=3.0), times=1)
    with pytest.raises(RateLimited):
        harness.run(Operation.QUERY, send)
    with pytest.raises(CircuitOpen, match="retry after 3 s"):
        harness.run(Operation.SUBMIT, lambda: "too soon")
    assert harness.run(Operation.CANCEL, lambda: "cancelled") == "cancelled"
    harness.clock.advance(timedelta(seconds=3))
    assert harness.run(Operation.SUBMIT, lambda: "placed") == "placed"


def test_an_open_circuit_says_what_failed_last() -> None:
    breaker = CircuitBreaker("paper", ManualClock(T0), failures_to_open=2, cooldown=30.0)
    for n in range(2):
        breaker.record_failure(NotSent("paper", "query", f"connection refused #{n}"))
    with pytest.raises(CircuitOpen) as caught:
        breaker.check(Operation.QUERY)
    assert str(caught.value) == (
        "paper query: circuit open after: paper query: connection refused #1; retry after 30 s"
    )
    assert caught.value.last_failure == "paper query: connection refused #1"
