"""Paper sessions of random seeds and accounts, run one after another into one ledger:
every fill a venue made is in the ledger exactly once, and nothing is refused."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from orderdesk.app import DEFAULT_MARKETS
from orderdesk.paper_run import PaperRun, Step, run_paper
from orderdesk.venues.paper import SyntheticFeed

MARKET = DEFAULT_MARKETS[0]
START = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)


def _trade(step: Step) -> None:
    """Every other second a MARKET order, and a LIMIT at the mid that the walk may fill."""
    mid = step.mid(MARKET.symbol)
    if mid is None:
        return
    side = "BUY" if step.now.second % 4 < 2 else "SELL"
    if step.now.second % 2 == 0:
        step.submit(MARKET.symbol, side, "0.01")
    else:
        step.submit(MARKET.symbol, side, "0.01", price=mid.quantize(MARKET.tick_size))


def _venue_fills(run: PaperRun) -> Counter[tuple[str, str, Decimal, Decimal]]:
    """The run's fills as its venue made them: (client order id, trade id, qty, price)."""
    assert run.exchange is not None
    made = run.exchange.fills_since(run.account, MARKET.symbol, START)
    return Counter((f.client_order_id, f.trade_id, f.quantity, f.price) for f in made)


def _ledger_fills(run: PaperRun) -> Counter[tuple[str, str, Decimal, Decimal]]:
    """The same fills as the ledger holds them, for the orders this run sent."""
    held: Counter[tuple[str, str, Decimal, Decimal]] = Counter()
    for order_id in run.submitted:
        record = run.ledger.get(run.account, order_id)
        for fill in run.ledger.fills(run.account, order_id):
            held[record.client_order_id, fill.trade_id, fill.quantity, fill.price] += 1
    return held


@settings(max_examples=12, deadline=None)
@given(
    sessions=st.lists(
        st.tuples(st.integers(0, 2**16), st.sampled_from(["alice", "bob", "paper"])),
        min_size=2,
        max_size=4,
    )
)
def test_every_venue_fill_of_every_session_is_in_one_ledger_exactly_once(
    sessions: list[tuple[int, str]],
) -> None:
    print(f"sessions (seed, account): {sessions}")
    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "ledger.db")
        runs = []
        for seed, account in sessions:
            feed = SyntheticFeed(MARKET, seed=seed, start=START, mid=Decimal("95000"))
            run = run_paper(
                feed.events(120), url, strategy=_trade, account=account, markets=[MARKET]
            )
            runs.append(run)
            made = _venue_fills(run)
            assert sum(made.values()) > 0
            assert _ledger_fills(run) == made
            assert max(made.values()) == 1
            assert run.alarms == []
        ledger = runs[-1].ledger
        total = sum(len(ledger.fills(r.account, o)) for r in runs for o in r.submitted)
        assert total == sum(sum(_venue_fills(r).values()) for r in runs)
