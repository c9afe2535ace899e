"""The demo's desk: BTC_USDT on a seeded synthetic walk, on simulated time, in a ledger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orderdesk.app.ledgers import open_ledger
from orderdesk.app.paper import DEFAULT_MARKETS, PaperDesk, paper_desk
from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.venues.paper import SyntheticFeed

__all__ = ["DEPOSITS", "MARKET", "MID", "START", "demo_desk", "own_account"]

MARKET = DEFAULT_MARKETS[0]  # BTC_USDT
START = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
MID = Decimal("95000.00")
DEPOSITS: Mapping[str, Decimal] = {"USDT": Decimal(1_000_000), "BTC": Decimal(10)}


def own_account(ledger: Ledger, name: str) -> str:
    """Return ``name``, or ``name-2``, ``name-3``... if the ledger already holds its orders
    (two sessions begun within one second): each session trades in an account of its own."""
    candidate, number = name, 1
    while ledger.load(candidate, limit=1).records:
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def demo_desk(ledger_path: str | Path, *, minutes: int, seed: int, account: str) -> PaperDesk:
    """Return the demo's desk on the ledger at ``ledger_path`` (a SQLite file or any store
    URL), its feed ``minutes`` long from :data:`START` and already a second in.

    It trades as :func:`own_account` of ``account`` and holds :data:`DEPOSITS`; ``seed``
    seeds the feed and the exchange.
    """
    clock = ManualClock(START)
    ledger = open_ledger(str(ledger_path), clock=clock)
    feed = SyntheticFeed(MARKET, seed=seed, start=START, mid=MID, level_steps=(100, 3000))
    desk = paper_desk(
        ledger,
        account=own_account(ledger, account),
        markets=[MARKET],
        deposits=DEPOSITS,
        seed=seed,
        clock=clock,
        feed=feed.events(minutes * 600 + 10),
    )
    desk.advance(timedelta(seconds=1))
    return desk
