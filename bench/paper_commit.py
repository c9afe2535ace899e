"""A paper run committed per change or per step, on SQLite NORMAL and FULL.

Run: ``python -m bench.paper_commit [--steps N] [--rounds R]``. One generated feed (a seeded
synthetic BTC_USDT walk, a quote a second) and one strategy: every second a MARKET order
(alternating BUY and SELL) and a LIMIT 20 away from the mid, with all but the five newest
working orders cancelled, so about two orders a step, each recorded, sent, answered and
later filled, expired or cancelled. The same run goes through :func:`run_paper` with
``commit="change"`` and ``commit="step"`` on each store; every round runs each variant
once, in turn (interleaved), and the table gives the best and the worst round's wall time
of the whole run (ledger opened, feed replayed, every order recorded) and orders per second
at the best. ``memory://`` is the floor: the same run with no disk at all.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.timing import machine_line
from orderdesk.app import DEFAULT_MARKETS, MarketEvent
from orderdesk.paper_run import Step, run_paper
from orderdesk.venues.paper import SyntheticFeed

START = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
VARIANTS = (
    ("memory", "change"), ("memory", "step"),
    ("SQLite NORMAL", "change"), ("SQLite NORMAL", "step"),
    ("SQLite FULL", "change"), ("SQLite FULL", "step"),
)  # fmt: skip


def feed(steps: int) -> list[MarketEvent]:
    """``steps`` seconds of a seeded synthetic BTC_USDT market, a quote a second."""
    market = DEFAULT_MARKETS[0]
    synthetic = SyntheticFeed(
        market, seed=1, start=START, mid=Decimal("95000"), interval=timedelta(seconds=1)
    )
    return list(synthetic.events(steps))


def strategy(step: Step) -> None:
    """A MARKET order and a LIMIT near the market every second; old LIMITs cancelled."""
    side = "BUY" if step.now.second % 2 else "SELL"
    step.submit("BTC_USDT", side, "0.001")
    mid = step.mid("BTC_USDT")
    if mid is not None:
        price = mid - 20 if side == "BUY" else mid + 20
        step.submit("BTC_USDT", side, "0.001", price=price.quantize(Decimal("0.01")))
    for order in step.open_orders()[:-5]:
        step.cancel(order.order_id)


def _url(store: str, path: Path) -> str:
    if store == "memory":
        return "memory://"
    level = store.rsplit(maxsplit=1)[-1]
    return f"sqlite:///{path}?synchronous={level}"


def run(steps: int, rounds: int) -> list[tuple[str, str, int, list[float]]]:
    """Return rows of (store, commit mode, orders, wall seconds of each round)."""
    events = feed(steps)
    walls: dict[tuple[str, str], list[float]] = {variant: [] for variant in VARIANTS}
    orders: dict[tuple[str, str], int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(rounds):
            for store, commit in VARIANTS:
                path = Path(tmp) / f"{store.rsplit(maxsplit=1)[-1]}-{commit}-{n}.db"
                began = time.perf_counter()
                done = run_paper(
                    events, _url(store, path), strategy=strategy, account="bench", commit=commit
                )
                walls[store, commit].append(time.perf_counter() - began)
                done.ledger.store.close()
                orders[store, commit] = len(done.submitted)
    return [(store, commit, orders[store, commit], walls[store, commit])
            for store, commit in VARIANTS]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.paper_commit")
    parser.add_argument("--steps", type=int, default=1_500, help="simulated seconds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows = run(args.steps, args.rounds)
    print(f"Paper run, {args.steps:,} one-second steps, {args.rounds} interleaved rounds "
          f"({machine_line()})")  # fmt: skip
    print(f"  {'store':<14} {'commit':<7} {'orders':>7} {'best s':>7} {'worst s':>8} "
          f"{'orders/s':>9} {'step/change':>12}")  # fmt: skip
    best: dict[str, float] = {}
    for store, commit, count, walls in rows:
        fastest = min(walls)
        speedup = "" if commit == "change" else f"{best[store] / fastest:.2f}x"
        best.setdefault(store, fastest)
        print(f"  {store:<14} {commit:<7} {count:>7,} {fastest:>7.2f} {max(walls):>8.2f} "
              f"{count / fastest:>9,.0f} {speedup:>12}")  # fmt: skip


if __name__ == "__main__":
    main()
