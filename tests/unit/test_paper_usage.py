"""The usage example of ``orderdesk.venues.paper``'s docstring runs as written, and its two
outcomes are each pinned by a seed: seed 1's reply arrives, seed 2's is lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from orderdesk.clocks import ManualClock
from orderdesk.errors import OutcomeUnknown
from orderdesk.model import (
    ExecutionReport,
    OrderStatus,
    OrderType,
    ReportKind,
    Side,
    SubmitRequest,
    SubmitResult,
    VenueOrder,
)
from orderdesk.venues.paper import (
    Faults,
    LatencyModel,
    PaperConnector,
    PaperExchange,
    Replay,
    SyntheticFeed,
)
from tests.unit.paper_setup import BTC_USDT, START

D = Decimal


def ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)


def documented_backtest(
    seed: int,
) -> tuple[SubmitResult | OutcomeUnknown, list[ExecutionReport], VenueOrder | None, int]:
    """The docstring's example with ``seed``: the submit's answer (or the error that says it
    is in doubt), the reports drained after the ACK fell due, the venue's order, and the
    base its session numbers ids from."""
    print(f"seed={seed}")
    market, start = BTC_USDT, START
    request = SubmitRequest("c1", "BTC_USDT", Side.BUY, OrderType.MARKET, Decimal("1"))

    clock = ManualClock(start)
    exchange = PaperExchange([market], clock=clock, seed=seed, latency=LatencyModel(ack=ms(5)))
    exchange.open_account("alice", {"USDT": Decimal("10000")}, faults=Faults(drop_reply=0.2))
    connector = PaperConnector(exchange, "alice")
    feed = SyntheticFeed(market, seed=seed, start=start, mid=Decimal("100")).events(10_000)
    replay = Replay(exchange, clock, feed)
    replay.advance(timedelta(seconds=1))
    answer: SubmitResult | OutcomeUnknown
    try:
        answer = asyncio.run(connector.submit(request))
    except OutcomeUnknown as error:
        answer = error
    replay.advance(ms(5))
    reports = connector.drain_reports()
    placed = exchange.query("alice", "BTC_USDT", client_order_id="c1")
    return answer, reports, placed, exchange.id_base


def kinds(reports: list[ExecutionReport]) -> list[ReportKind]:
    return [report.kind for report in reports]


FILLS_THEN_EXPIRED = [ReportKind.ACK, *[ReportKind.FILL] * 5, ReportKind.EXPIRED]


def test_seed_1_answers_the_market_order_with_its_fills_and_its_expiry() -> None:
    answer, reports, placed, base = documented_backtest(1)
    assert isinstance(answer, SubmitResult)
    assert (answer.status, answer.venue_order_id) == (OrderStatus.EXPIRED, str(base + 1))
    assert [fill.trade_id for fill in answer.fills] == [str(base + n) for n in range(1, 6)]
    assert [fill.quantity for fill in answer.fills] == [
        D("0.045"), D("0.074"), D("0.046"), D("0.059"), D("0.035")
    ]  # fmt: skip
    assert placed is not None
    assert (placed.status, placed.filled_quantity) == (OrderStatus.EXPIRED, D("0.259"))
    assert kinds(reports) == FILLS_THEN_EXPIRED
    assert [r.fill.quantity for r in reports if r.fill] == [f.quantity for f in answer.fills]


def test_seed_2_loses_the_reply_and_the_reports_still_tell_the_outcome() -> None:
    answer, reports, placed, _ = documented_backtest(2)
    assert isinstance(answer, OutcomeUnknown)
    assert str(answer) == "paper submit: connection reset (reply lost)"
    assert placed is not None  # the venue took the order: the submit was in doubt, not lost
    assert (placed.status, placed.filled_quantity) == (OrderStatus.EXPIRED, D("0.305"))
    assert kinds(reports) == FILLS_THEN_EXPIRED
    assert sum(r.fill.quantity for r in reports if r.fill) == D("0.305")
    assert reports[-1].status is OrderStatus.EXPIRED


def _counted_from(value: object, base: int) -> object:
    """``value`` with every id its session numbered written as ``#n``, the n-th from base."""
    if isinstance(value, dict):
        return {key: _counted_from(item, base) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_counted_from(item, base) for item in value]
    if isinstance(value, str) and value.isdigit() and int(value) > base:
        return f"#{int(value) - base}"
    return value


@pytest.mark.parametrize("seed", [1, 2])
def test_the_example_runs_the_same_twice_each_session_numbering_its_own_ids(seed: int) -> None:
    first, second = documented_backtest(seed), documented_backtest(seed)
    assert second[3] >= first[3] + 10**9  # each session its own ids
    assert [_counted_from(r.as_dict(), first[3]) for r in first[1]] == [
        _counted_from(r.as_dict(), second[3]) for r in second[1]
    ]
    assert first[2] is not None
    assert second[2] is not None
    assert first[2].client_order_id == second[2].client_order_id
    assert _counted_from(first[2].venue_order_id, first[3]) == "#1"
    assert _counted_from(second[2].venue_order_id, second[3]) == "#1"
    assert (first[2].status, first[2].filled_quantity) == (
        second[2].status,
        second[2].filled_quantity,
    )
