"""Every fault knob of the paper venue does what its documentation says."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from orderdesk.clocks import SystemClock
from orderdesk.errors import Banned, NotSent, OutcomeUnknown, RateLimited
from orderdesk.model import CancelOutcome, Liquidity, OrderStatus
from orderdesk.venues.paper import Faults, LatencyModel, PaperConnector, PaperExchange
from tests.unit.paper_setup import BTC_USDT, START, D, levels, order, venue

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def connected(faults: Faults, **kwargs: Any) -> tuple[PaperExchange, PaperConnector, Any]:
    exchange, clock = venue(faults=faults, **kwargs)
    exchange.on_quote("BTC_USDT", levels(("99.00", "5")), levels(("100.00", "5")))
    return exchange, PaperConnector(exchange, "alice"), clock


def kinds(connector: PaperConnector) -> list[str]:
    return [r.kind.value for r in connector.drain_reports()]


# -- wire faults ---------------------------------------------------------------------------


def test_refused_connection_is_not_sent_and_the_venue_saw_nothing() -> None:
    exchange, connector, _ = connected(Faults(refuse_connection=1.0))

    with pytest.raises(NotSent):
        run(connector.submit(order("c1", "BUY", "1", "98.00")))

    assert exchange.query("alice", "BTC_USDT", client_order_id="c1") is None


def test_dropped_request_is_outcome_unknown_and_the_venue_saw_nothing() -> None:
    exchange, connector, _ = connected(Faults(drop_request=1.0))

    with pytest.raises(OutcomeUnknown, match="request lost"):
        run(connector.submit(order("c1", "BUY", "1", "98.00")))

    assert exchange.query("alice", "BTC_USDT", client_order_id="c1") is None


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        (Faults(drop_reply=1.0), "reply lost"),
        (Faults(server_error=1.0), "HTTP 503"),
        (Faults(timeout=1.0), "timed out"),
    ],
    ids=["dropped reply", "5xx", "timeout"],
)
def test_failed_reply_after_accepting_is_outcome_unknown_while_the_order_works(
    faults: Faults, message: str
) -> None:
    exchange, connector, _ = connected(faults)

    with pytest.raises(OutcomeUnknown, match=message):
        run(connector.submit(order("c1", "BUY", "1", "98.00")))

    placed = exchange.query("alice", "BTC_USDT", client_order_id="c1")
    assert placed is not None
    assert placed.status is OrderStatus.OPEN


def test_cancel_with_a_dropped_reply_still_cancels_at_the_venue() -> None:
    exchange, _, _ = connected(Faults(drop_reply=1.0))
    exchange.submit("alice", order("c1", "BUY", "1", "98.00"))
    connector = PaperConnector(exchange, "alice")

    with pytest.raises(OutcomeUnknown):
        run(connector.cancel("BTC_USDT", client_order_id="c1"))

    cancelled = exchange.query("alice", "BTC_USDT", client_order_id="c1")
    assert cancelled is not None
    assert cancelled.status is OrderStatus.CANCELLED


def test_reads_are_reliable_unless_faulty_reads_is_set() -> None:
    _, reliable, _ = connected(Faults(drop_reply=1.0))
    _, faulty, _ = connected(Faults(drop_reply=1.0, faulty_reads=True))

    assert run(reliable.query("BTC_USDT", client_order_id="c1")) is None
    with pytest.raises(OutcomeUnknown):
        run(faulty.query("BTC_USDT", client_order_id="c1"))
    with pytest.raises(OutcomeUnknown):
        run(faulty.balances())


def test_not_found_lag_hides_a_new_order_until_the_lag_has_passed() -> None:
    _exchange, connector, clock = connected(Faults(not_found_lag=timedelta(seconds=5)))
    run(connector.submit(order("c1", "BUY", "1", "98.00")))

    hidden = run(connector.query("BTC_USDT", client_order_id="c1"))
    cancel = run(connector.cancel("BTC_USDT", client_order_id="c1"))
    listed = run(connector.open_orders("BTC_USDT"))
    clock.advance(timedelta(seconds=5))
    seen = run(connector.query("BTC_USDT", client_order_id="c1"))

    assert (hidden, cancel.outcome, listed) == (None, CancelOutcome.NOT_FOUND, [])
    assert seen is not None
    assert seen.status is OrderStatus.OPEN  # the hidden cancel did nothing


def test_seeded_wire_faults_repeat_with_the_seed() -> None:
    seed = 11
    print(f"seed={seed}")

    def outcomes() -> list[str]:
        _exchange, connector, _ = connected(Faults(drop_reply=0.5), seed=seed)
        out = []
        for i in range(20):
            try:
                run(connector.submit(order(f"c{i}", "BUY", "0.1", "98.00")))
                out.append("ok")
            except OutcomeUnknown:
                out.append("unknown")
        return out

    first = outcomes()
    assert first == outcomes()
    assert 0 < first.count("unknown") < 20


# -- report stream faults ------------------------------------------------------------------


def test_duplicate_reports_deliver_each_report_twice() -> None:
    _, connector, _ = connected(Faults(duplicate_reports=1.0))
    run(connector.submit(order("c1", "BUY", "1", "98.00")))

    reports = connector.drain_reports()

    assert [(r.seq, r.kind.value) for r in reports] == [(1, "ACK"), (1, "ACK")]


def test_duplicate_copies_deliver_a_report_up_to_that_many_extra_times() -> None:
    seed = 7
    print(f"seed={seed}")
    _, connector, _ = connected(Faults(duplicate_reports=1.0, duplicate_copies=2), seed=seed)
    for i in range(10):
        run(connector.submit(order(f"c{i}", "BUY", "0.1", "98.00")))

    seqs = [r.seq for r in connector.drain_reports()]

    copies = {seq: seqs.count(seq) for seq in range(1, 11)}
    assert set(copies.values()) == {2, 3}
    assert sorted(set(seqs)) == list(range(1, 11))


def test_an_outage_refuses_every_request_until_it_ends() -> None:
    start = START + timedelta(seconds=10)
    outage = Faults(outages=((start, start + timedelta(seconds=60)),))
    exchange, connector, clock = connected(outage)
    clock.advance(timedelta(seconds=10))

    with pytest.raises(NotSent, match="venue down"):
        run(connector.submit(order("c1", "BUY", "1", "98.00")))
    with pytest.raises(NotSent):
        run(connector.cancel("BTC_USDT", client_order_id="c1"))
    with pytest.raises(NotSent):
        run(connector.query("BTC_USDT", client_order_id="c1"))
    clock.advance(timedelta(seconds=60))

    assert run(connector.submit(order("c1", "BUY", "1", "98.00"))).accepted
    assert exchange.query("alice", "BTC_USDT", client_order_id="c1") is not None


def test_reordered_reports_arrive_out_of_sequence_within_the_window() -> None:
    seed = 7
    print(f"seed={seed}")
    faults = Faults(reorder_reports=1.0, reorder_window=timedelta(seconds=1))
    _exchange, connector, clock = connected(faults, seed=seed)
    for i in range(8):
        run(connector.submit(order(f"c{i}", "BUY", "0.1", "98.00")))

    early = connector.drain_reports()
    clock.advance(timedelta(seconds=1))
    reports = connector.drain_reports()

    seqs = [r.seq for r in reports]
    assert early == []
    assert sorted(seqs) == list(range(1, 9))
    assert seqs != sorted(seqs)


def test_fill_before_ack_delivers_the_fills_first() -> None:
    _, connector, _ = connected(Faults(fill_before_ack=1.0))
    run(connector.submit(order("m1", "BUY", "1")))

    assert kinds(connector) == ["FILL", "ACK"]


def test_fill_after_cancel_delivers_a_queued_fill_after_the_cancel_report() -> None:
    exchange, connector, _ = connected(Faults(fill_after_cancel=1.0))
    run(connector.submit(order("l1", "BUY", "1", "98.00")))
    exchange.on_trade("BTC_USDT", D("98.00"), D("0.4"))

    result = run(connector.cancel("BTC_USDT", client_order_id="l1"))

    assert result.outcome is CancelOutcome.CANCELLED
    assert kinds(connector) == ["ACK", "CANCELLED", "FILL"]


def test_cancel_too_late_lets_the_fill_win_the_race() -> None:
    exchange, connector, _ = connected(Faults(cancel_too_late=1.0))
    run(connector.submit(order("l1", "BUY", "1", "98.00")))

    result = run(connector.cancel("BTC_USDT", client_order_id="l1"))

    assert (result.outcome, result.status) == (CancelOutcome.TOO_LATE, OrderStatus.FILLED)
    [fill] = exchange.fills_since("alice", "BTC_USDT", result.at)
    assert (fill.quantity, fill.price, fill.liquidity) == (D("1"), D("98.00"), Liquidity.MAKER)


# -- rate limits ---------------------------------------------------------------------------

LIMITED = Faults(rate_limit=2, rate_window=timedelta(seconds=1), ban_after=2)


def test_requests_beyond_the_limit_get_429_with_retry_after() -> None:
    _, connector, clock = connected(LIMITED)
    run(connector.balances())
    clock.advance(timedelta(milliseconds=400))
    run(connector.balances())

    with pytest.raises(RateLimited) as refused:
        run(connector.balances())

    assert refused.value.retry_after == 0.6


def test_a_client_that_waits_for_retry_after_is_served_again() -> None:
    _, connector, clock = connected(LIMITED)
    run(connector.balances())
    run(connector.balances())
    with pytest.raises(RateLimited) as refused:
        run(connector.balances())

    clock.advance(timedelta(seconds=refused.value.retry_after))

    assert "USDT" in run(connector.balances())


def test_a_client_that_ignores_retry_after_is_banned_with_418() -> None:
    _, connector, clock = connected(LIMITED)
    run(connector.balances())
    run(connector.balances())
    with pytest.raises(RateLimited):
        run(connector.balances())
    with pytest.raises(RateLimited):
        run(connector.balances())  # first violation

    with pytest.raises(Banned) as banned:
        run(connector.balances())  # second violation: banned
    clock.advance(timedelta(seconds=119))
    with pytest.raises(Banned) as still:
        run(connector.balances())
    clock.advance(timedelta(seconds=1))

    assert (banned.value.retry_after, still.value.retry_after) == (120.0, 1.0)
    assert "USDT" in run(connector.balances())


def test_rate_limited_submit_never_reaches_the_venue() -> None:
    exchange, connector, _ = connected(Faults(rate_limit=1))
    run(connector.balances())

    with pytest.raises(RateLimited):
        run(connector.submit(order("c1", "BUY", "1", "98.00")))

    assert exchange.query("alice", "BTC_USDT", client_order_id="c1") is None


# -- latency -------------------------------------------------------------------------------


def test_reports_wait_for_their_latency_on_the_clock() -> None:
    latency = LatencyModel(ack=timedelta(milliseconds=50), report=timedelta(milliseconds=80))
    _exchange, connector, clock = connected(Faults(), latency=latency)
    run(connector.submit(order("m1", "BUY", "1")))

    at_once = kinds(connector)
    clock.advance(timedelta(milliseconds=50))
    after_ack = kinds(connector)
    clock.advance(timedelta(milliseconds=30))
    after_report = kinds(connector)

    assert (at_once, after_ack, after_report) == ([], ["ACK"], ["FILL"])


def test_report_stream_wakes_when_the_clock_releases_a_report() -> None:
    latency = LatencyModel(ack=timedelta(milliseconds=50))
    exchange, connector, clock = connected(Faults(), latency=latency)

    async def scenario() -> list[str]:
        stream = connector.reports()
        await connector.submit(order("c1", "BUY", "1", "98.00"))
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0)
        early = waiting.done()
        clock.advance(timedelta(milliseconds=50))
        exchange.advance()
        report = await waiting
        await stream.aclose()  # type: ignore[attr-defined]
        return [str(early), report.kind.value]

    assert run(scenario()) == ["False", "ACK"]


def test_on_the_wall_clock_the_stream_delivers_a_delayed_report_by_itself() -> None:
    exchange = PaperExchange(
        [BTC_USDT], clock=SystemClock(), latency=LatencyModel(ack=timedelta(milliseconds=1))
    )
    exchange.open_account("alice", {"USDT": D("10000")})
    connector = PaperConnector(exchange, "alice")

    async def scenario() -> str:
        stream = connector.reports()
        await connector.submit(order("c1", "BUY", "1", "98.00"))
        report = await asyncio.wait_for(anext(stream), 5)  # a safety net, not a timing
        await stream.aclose()  # type: ignore[attr-defined]
        return report.kind.value

    assert run(scenario()) == "ACK"
