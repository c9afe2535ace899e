"""``orderdesk paper run`` over a big feed and many orders, beside backtrader on the same files.

Run: ``python -m bench.paper_run [--quotes N] [--orders N] [--quick] [--stores memory,normal]
[--repeat R] [--phases] [--no-peers]``. Defaults: 1,000,000 quotes, 100,000 orders.

The inputs (:mod:`bench.paper_run_inputs`) are written into a temporary directory: a quotes
CSV and an orders CSV in the layouts ``orderdesk paper run`` reads. Then, interleaved over
``--repeat`` rounds, each system runs in a process of its own on the same two files:

* ``orderdesk paper run --feed quotes.csv --orders orders.csv --json`` (the command a trader
  types, through ``python -m orderdesk``) on a memory ledger and, for ``normal``, a SQLite
  ledger at ``synchronous=NORMAL`` (a fresh file per run); deposits large enough that the
  pre-trade checks refuse nothing;
* backtrader (:mod:`bench.peer_backtrader_paper`, in the peers' environment
  ``bench/.venv-peers`` that ``python -m bench.peers`` builds; skipped when it is absent).

Every figure is the wall time of the whole process, start to exit (reading and checking the
files, the replay, the summary), best of the rounds. ``--phases`` adds one run of the same
work in this process, timed per phase (reading the feed, reading the orders, the replay).
Each run is checked: orderdesk must have sent every order and refused none (the SQLite
ledger's order statuses are counted), backtrader must have submitted every order.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.paper_run_inputs import Inputs, write_inputs
from bench.peers import ROOT, peers_env_ready, peers_python
from bench.timing import machine_line

ACCOUNT = "bench"
DEPOSITS = ("USDT=1000000000", "BTC=1000000")
STORES = {"memory": "memory ledger", "normal": "SQLite NORMAL ledger"}
FULL = (1_000_000, 100_000)
QUICK = (2_000, 200)


@dataclass
class Outcome:
    """The runs of one system."""

    label: str
    seconds: list[float] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> float:
        """The least wall time of the runs."""
        return min(self.seconds)


def _env() -> dict[str, str]:
    """This environment without orderdesk's own settings (a run must not read them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def ledger_url(store: str, directory: Path, round_: int) -> str:
    """The ledger of one run: memory, or a fresh SQLite file."""
    if store == "memory":
        return "memory://"
    return f"sqlite:///{directory / f'ledger-{round_}.db'}?synchronous=NORMAL"


def run_orderdesk(inputs: Inputs, url: str, directory: Path) -> tuple[float, dict[str, Any]]:
    """Run ``orderdesk paper run`` on the inputs; return (wall seconds, its JSON summary)."""
    command = [sys.executable, "-m", "orderdesk", "paper", "run",
               "--feed", str(inputs.quotes_csv), "--orders", str(inputs.orders_csv),
               "--db", url, "--account", ACCOUNT, "--json"]  # fmt: skip
    for deposit in DEPOSITS:
        command += ["--deposit", deposit]
    began = time.perf_counter()
    done = subprocess.run(
        command, cwd=directory, env=_env(), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"orderdesk paper run failed ({done.returncode}):\n{done.stderr}")
    summary: dict[str, Any] = json.loads(done.stdout)
    if summary["submitted"] != inputs.orders or summary["refused"] or summary["interrupted"]:
        raise RuntimeError(f"orderdesk did not send every order: {summary}")
    return seconds, summary


def ledger_statuses(url: str) -> dict[str, int]:
    """Count the orders of a SQLite ledger by status."""
    path = url.removeprefix("sqlite:///").partition("?")[0]
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT status, COUNT(*) FROM orders GROUP BY status").fetchall()
    return {str(status): int(count) for status, count in sorted(rows)}


def run_backtrader(inputs: Inputs, directory: Path) -> tuple[float, dict[str, Any]]:
    """Run backtrader on the inputs in the peers' environment; return (wall s, its result)."""
    command = [str(peers_python()), "-m", "bench.peer_backtrader_paper",
               "--quotes", str(inputs.quotes_csv), "--orders", str(inputs.orders_csv)]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=_env(), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - began
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"backtrader failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    if result["submitted"] != inputs.orders or result["quotes"] != inputs.quotes:
        raise RuntimeError(f"backtrader did not trade the whole input: {result}")
    return seconds, result


def phases(inputs: Inputs) -> list[tuple[str, float]]:
    """Time the paper run's phases in this process (memory ledger): the CLI's own calls."""
    from decimal import Decimal  # noqa: PLC0415

    from orderdesk.app import DEFAULT_MARKETS  # noqa: PLC0415
    from orderdesk.paper_run import check_inputs, read_orders, run_paper  # noqa: PLC0415
    from orderdesk.venues.paper import read_csv  # noqa: PLC0415

    markets = {m.symbol: m for m in DEFAULT_MARKETS}
    funds = {asset: Decimal(amount) for asset, _, amount in (d.partition("=") for d in DEPOSITS)}
    out: list[tuple[str, float]] = []
    began = time.perf_counter()
    events = list(read_csv(inputs.quotes_csv, markets=markets))
    out.append(("read the quotes CSV", time.perf_counter() - began))
    began = time.perf_counter()
    scheduled = read_orders(inputs.orders_csv)
    out.append(("read and check the orders CSV", time.perf_counter() - began))
    began = time.perf_counter()
    check_inputs(events, scheduled, markets)
    run = run_paper(events, "memory://", orders=scheduled, account=ACCOUNT,
                    markets=DEFAULT_MARKETS, deposits=funds)  # fmt: skip
    out.append(("replay: venue, broker, ledger", time.perf_counter() - began))
    if len(run.submitted) != inputs.orders or run.refused:
        raise RuntimeError(f"in process: {len(run.submitted)} orders sent, {run.refused} refused")
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the inputs, run every system interleaved, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.paper_run")
    parser.add_argument("--quotes", type=int, default=None, help=f"default {FULL[0]:,}")
    parser.add_argument("--orders", type=int, default=None, help=f"default {FULL[1]:,}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK[0]:,} quotes, {QUICK[1]}")
    parser.add_argument("--stores", default="memory", help="comma-separated: memory, normal")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (best of)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--phases", action="store_true", help="also time the phases in process")
    parser.add_argument("--no-peers", action="store_true", help="orderdesk only")
    args = parser.parse_args(argv)
    default = QUICK if args.quick else FULL
    quotes = args.quotes if args.quotes is not None else default[0]
    orders = args.orders if args.orders is not None else default[1]
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(stores) - set(STORES)
    if unknown:
        parser.error(f"unknown stores {sorted(unknown)}; choose from {', '.join(STORES)}")
    peers = not args.no_peers and peers_env_ready()
    with tempfile.TemporaryDirectory(prefix="orderdesk-paper-run-") as name:
        directory = Path(name)
        began = time.perf_counter()
        inputs = write_inputs(directory, quotes, orders, args.seed)
        written = time.perf_counter() - began
        print(f"orderdesk paper run benchmark: {quotes:,} quotes, {orders:,} orders "
              f"({inputs.market_orders:,} MARKET, {inputs.limit_orders:,} LIMIT, "
              f"{inputs.cancels:,} of them with a cancel_at), seed {args.seed}, best of "
              f"{args.repeat} ({machine_line()}); inputs written in {written:.1f} s")  # fmt: skip
        if not peers:
            why = "--no-peers" if args.no_peers else "bench/.venv-peers not built"
            print(f"backtrader skipped ({why}; python -m bench.peers builds it)")
        outcomes = measure(inputs, directory, stores, peers, args.repeat)
        print_table(outcomes, inputs)
        if args.phases:
            print("\nphases of the same work in this process (memory ledger):")
            for label, seconds in phases(inputs):
                print(f"  {label:<34}{seconds:>8.2f} s")
    return 0


def measure(
    inputs: Inputs, directory: Path, stores: list[str], peers: bool, rounds: int
) -> list[Outcome]:
    """Run each system ``rounds`` times, interleaved (every system once per round)."""
    outcomes = [Outcome(f"orderdesk paper run, {STORES[s]}") for s in stores]
    runs: list[tuple[Outcome, Callable[[int], tuple[float, dict[str, Any]]]]] = []
    for outcome, store in zip(outcomes, stores, strict=True):

        def orderdesk(round_: int, store: str = store) -> tuple[float, dict[str, Any]]:
            url = ledger_url(store, directory, round_)
            seconds, summary = run_orderdesk(inputs, url, directory)
            if store != "memory":
                summary["statuses"] = ledger_statuses(url)
                Path(url.removeprefix("sqlite:///").partition("?")[0]).unlink()
            return seconds, summary

        runs.append((outcome, orderdesk))
    if peers:
        backtrader = Outcome("backtrader Cerebro")
        outcomes.append(backtrader)
        runs.append((backtrader, lambda _: run_backtrader(inputs, directory)))
    for round_ in range(rounds):
        for outcome, run in runs:
            seconds, detail = run(round_)
            outcome.seconds.append(seconds)
            if not outcome.detail or seconds <= outcome.best:
                outcome.detail = detail
            print(f"  [{round_ + 1}/{rounds}] {outcome.label}: {seconds:.1f} s", flush=True)
    return outcomes


def print_table(outcomes: list[Outcome], inputs: Inputs) -> None:
    """The figures, each beside backtrader's (when it ran) as a ratio."""
    peer = next((o for o in outcomes if o.label.startswith("backtrader")), None)
    print(f"\n{'system':<44}{'wall s':>9}{'orders/s':>10}{'quotes/s':>11}{'vs backtrader':>15}")
    for outcome in outcomes:
        best = outcome.best
        ratio = f"{peer.best / best:.2f}x" if peer is not None else "-"
        print(f"{outcome.label:<44}{best:>9.1f}{inputs.orders / best:>10,.0f}"
              f"{inputs.quotes / best:>11,.0f}{ratio:>15}")  # fmt: skip
    print("\n(vs backtrader: backtrader's wall time over the row's; above 1, faster than it)")
    for outcome in outcomes:
        detail = outcome.detail
        if outcome is peer:
            working = (detail["submitted"] - detail["completed"] - detail["cancelled"]
                       - detail["refused"])  # fmt: skip
            print(f"{outcome.label}: read the files {detail['load_seconds']:.1f} s, Cerebro.run "
                  f"{detail['run_seconds']:.1f} s; {detail['completed']:,} completed, "
                  f"{detail['cancelled']:,} cancelled, {detail['refused']:,} refused, "
                  f"{working:,} still working")  # fmt: skip
        else:
            line = (f"{outcome.label}: {detail['submitted']:,} sent, {detail['cancels']:,} "
                    f"cancels sent, {len(detail['refused']):,} refused")  # fmt: skip
            if "statuses" in detail:
                counts = detail["statuses"].items()
                line += "; ledger: " + ", ".join(f"{v:,} {k}" for k, v in counts)
            print(line)


if __name__ == "__main__":
    raise SystemExit(main())
