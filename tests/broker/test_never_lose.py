"""Never lose, never duplicate: the submit protocol against a venue that drops and lags.

Each test drives thousands of submits through the Broker into a PaperExchange with a fault
switched on, then audits the ledger against the venue's own books. Figures are printed in
the run's summary.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise

import pytest

from orderdesk.testing.paper_desk import PaperDesk, audit
from orderdesk.venues.paper.exchange import ClientIdScope
from orderdesk.venues.paper.faults import Faults

Figure = Callable[[str], None]


def seeded() -> int:
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}")
    return seed


def submit_many(desk: PaperDesk, count: int) -> None:
    async def go() -> None:
        for i in range(count):
            await desk.broker.submit(desk.order("BUY" if i % 2 else "SELL", "0.01"))
        desk.step(timedelta(seconds=1))

    asyncio.run(go())


def percentiles(values: list[timedelta]) -> str:
    if not values:
        return "none in doubt"
    ordered = sorted(v.total_seconds() for v in values)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{len(ordered)} resolved, p50 {p50:g} s, p99 {p99:g} s (simulated)"


def test_replies_lost_after_accept_lose_and_duplicate_nothing(figure: Figure) -> None:
    seed = seeded()
    desk = PaperDesk(seed=seed, faults=Faults(drop_reply=0.20, server_error=0.05))
    submit_many(desk, 10_000)
    result = audit(desk)
    figure(f"seed {seed}: {result.line()}; {percentiles(desk.broker.resolutions)}")
    assert (result.lost, result.duplicated, result.divergent, result.in_doubt) == (0, 0, 0, 0)
    assert result.ledger_orders == result.venue_orders == 10_000


def test_requests_lost_before_the_venue_are_resent_only_after_the_window(
    figure: Figure,
) -> None:
    seed = seeded()
    window = timedelta(seconds=120)
    desk = PaperDesk(seed=seed, faults=Faults(drop_request=0.20), visibility_window=window)
    submit_many(desk, 10_000)
    result = audit(desk)
    resent = {cid: times for cid, times in desk.submit_log.items() if len(times) > 1}
    gaps = [b - a for times in resent.values() for a, b in pairwise(times)]
    figure(
        f"seed {seed}: {result.line()}; {len(resent)} orders resent, shortest gap "
        f"{min(gaps, default=timedelta(0)).total_seconds():g} s; "
        f"{percentiles(desk.broker.resolutions)}"
    )
    assert (result.lost, result.duplicated, result.divergent, result.in_doubt) == (0, 0, 0, 0)
    assert result.venue_orders == 10_000
    assert resent
    assert min(gaps) >= window


def test_client_ids_unique_only_while_open_do_not_let_a_market_order_double(
    figure: Figure,
) -> None:
    seed = seeded()
    desk = PaperDesk(seed=seed, faults=Faults(drop_reply=0.20), client_id_scope=ClientIdScope.OPEN)
    submit_many(desk, 10_000)
    result = audit(desk)
    figure(f"seed {seed}: {result.line()}")
    assert (result.lost, result.duplicated, result.divergent, result.in_doubt) == (0, 0, 0, 0)
    assert result.venue_orders == 10_000


@pytest.mark.parametrize("stream", [True, False], ids=["with reports", "queries only"])
@pytest.mark.parametrize("lag", [0, 5, 30, 60])
def test_a_venue_that_lags_never_causes_a_duplicate_or_a_false_reject(
    lag: int, stream: bool, figure: Figure
) -> None:
    seed = seeded()
    desk = PaperDesk(
        seed=seed,
        faults=Faults(drop_reply=0.20, not_found_lag=timedelta(seconds=lag)),
        report_stream=stream,
    )
    submit_many(desk, 2_000)
    result = audit(desk)
    how = "reports and queries" if stream else "queries only"
    figure(
        f"lag {lag} s, {how}, seed {seed}: {result.line()}; {percentiles(desk.broker.resolutions)}"
    )
    assert (result.duplicated, result.false_rejects, result.lost, result.in_doubt) == (0, 0, 0, 0)
    assert result.divergent == 0
