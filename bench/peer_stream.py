"""The identical input every system of ``python -m bench.peers`` trades: ticks and orders.

Dependency-free on purpose: it runs in orderdesk's environment and in the peers' own one.
Prices are whole cents (ticks of 0.01) so every system sees exactly the same numbers; one
instrument (BTC/USDT), a quote per order, order ``n`` submitted on tick ``n``.

Workloads:

* ``market``: MARKET orders of seeded random side, each filled at once against the quote;
* ``limit``: LIMIT orders at the passive touch (a BUY at the bid, a SELL at the ask) that
  rest, and a next tick that moves through them (1 to 3 cents past), so each fills then;
* ``one-sided``: the ``market`` ticks with every order a BUY, so one position keeps
  accumulating fills.

Every line a peer module prints is one JSON object (:func:`result_line`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEPTH",
    "QUANTITY",
    "WORKLOADS",
    "Intent",
    "Tick",
    "cents_text",
    "result_line",
    "stream",
]

WORKLOADS = ("market", "limit", "one-sided")
QUANTITY = "0.020"
"""Every order's quantity (BTC): 19 USDT at the start, above the 10 USDT minimum notional."""
DEPTH = "100"
"""The size quoted at the bid and at the ask."""
START_MID = 95_000
"""950.00 USDT, in cents (low enough that a one-sided million orders stays affordable)."""


@dataclass(frozen=True, slots=True)
class Tick:
    """One quote: best bid and ask in cents."""

    bid: int
    ask: int


@dataclass(frozen=True, slots=True)
class Intent:
    """One order to submit: side, type and (LIMIT only) price in cents."""

    side: str
    kind: str
    price: int | None


def cents_text(cents: int) -> str:
    """Return ``cents`` as a decimal price string with two places ("95000.01")."""
    return f"{cents // 100}.{cents % 100:02d}"


def stream(workload: str, count: int, seed: int) -> tuple[list[Tick], list[Intent]]:
    """Return ``count + 1`` ticks and ``count`` orders of ``workload`` for ``seed``.

    The extra tick is the one that fills the last resting LIMIT order.
    """
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; one of {', '.join(WORKLOADS)}")
    rng = random.Random(seed)
    ticks: list[Tick] = []
    intents: list[Intent] = []
    mid = START_MID
    for _ in range(count):
        tick = Tick(mid - 1, mid + 1)
        ticks.append(tick)
        buy = workload == "one-sided" or rng.random() < 0.5
        side = "BUY" if buy else "SELL"
        if workload == "limit":
            intents.append(Intent(side, "LIMIT", tick.bid if buy else tick.ask))
            # The next quote moves through the resting price: ask <= bid now (BUY), or
            # bid >= ask now (SELL).
            move = 2 + rng.randint(0, 2)
            mid += -move if buy else move
        else:
            intents.append(Intent(side, "MARKET", None))
            mid += rng.randint(-3, 3)
    ticks.append(Tick(mid - 1, mid + 1))
    return ticks, intents


def result_line(**fields: object) -> str:
    """Return one result as a JSON line (what every peer module prints last)."""
    return json.dumps(fields, sort_keys=True)


def peer_main(
    prog: str, run: Callable[[str, int, int, float], Mapping[str, Any]], argv: list[str] | None
) -> None:
    """A peer module's command line: run the workload, print one JSON line, and exit 1
    unless every order filled and none was denied."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--workload", default="market")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=600.0)
    args = parser.parse_args(argv)
    result = run(args.workload, args.count, args.seed, args.budget)
    print(result_line(**result), flush=True)
    if result["filled"] != result["orders"] or result["orders"] == 0 or result["denied"]:
        sys.exit(1)
