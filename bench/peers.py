"""orderdesk beside nautilus_trader and backtrader on one order stream, and beside the floors.

Run: ``python -m bench.peers [--quick] [--systems orderdesk,nautilus,backtrader,floors]
[--budget SECONDS] [--repeat N] [--no-write]`` (``make bench`` runs it among the suites).

It builds the peers' own environment, ``bench/.venv-peers`` (git-ignored), from
``bench/peers-requirements.txt`` when missing or stale: the peers never enter orderdesk's
install. Every measurement is a subprocess printing one JSON line: orderdesk's variants
(``bench.peers_orderdesk``) and the floors (``bench.peers_floors``) on this interpreter,
the peers (``bench.peer_nautilus``, ``bench.peer_backtrader``) on the peers' one; all read
the same ticks and orders from ``bench.peer_stream`` (same seed). Runs are interleaved
(every system of a workload before the next workload; rounds repeat the whole list) and
the best per-order time of the rounds is kept. A run over its time budget stops and reports
the per-order cost at the count it reached (marked in the tables). The tables are printed
and, unless ``--quick`` or ``--no-write``, written into ``bench/RESULTS.md`` between the
``peers`` marker comments (the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS_ENV = BENCH / ".venv-peers"
REQUIREMENTS = BENCH / "peers-requirements.txt"
RESULTS = BENCH / "RESULTS.md"
BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"
SYSTEMS = ("orderdesk", "nautilus", "backtrader", "floors")
APIS = ("async", "sync")
STORES = ("memory", "normal", "full")
STORE_NAMES = {"memory": "memory", "normal": "SQLite NORMAL", "full": "SQLite FULL"}


@dataclass(frozen=True)
class Sizes:
    """How many orders each part of the run trades."""

    stream: int
    growth: tuple[int, ...]
    profile: int
    commits: int


FULL_SIZES = Sizes(stream=100_000, growth=(10_000, 100_000, 1_000_000), profile=20_000,
                   commits=500)  # fmt: skip
QUICK_SIZES = Sizes(stream=60, growth=(30, 60, 120), profile=60, commits=20)


@dataclass(frozen=True)
class Job:
    """One measurement: which system, which variant, which stream, how many orders."""

    system: str
    variant: str
    workload: str
    count: int
    module: str
    args: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What identifies the measurement (a job listed twice is run once)."""
        return self.system, self.variant, self.workload, self.count


@dataclass
class Outcome:
    """The best result of a job over the rounds."""

    job: Job
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best(self) -> dict[str, Any]:
        """The result with the least time per order."""
        return min(self.results, key=per_order)


def per_order(result: dict[str, Any]) -> float:
    """Seconds per order of one result."""
    return float(result["seconds"]) / max(int(result["orders"]), 1)


# --- the peers' environment ---------------------------------------------------------------


def peers_python() -> Path:
    """The peers' interpreter (it may not exist yet)."""
    return PEERS_ENV / "bin" / "python"


def peers_env_ready() -> bool:
    """Whether ``bench/.venv-peers`` exists and was built from the current requirements."""
    stamp = PEERS_ENV / "requirements.txt"
    return (
        peers_python().exists() and stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text()
    )


def ensure_peers_env() -> None:
    """Build ``bench/.venv-peers`` from ``bench/peers-requirements.txt`` unless current."""
    if peers_env_ready():
        return
    print(f"building the peers' environment from {REQUIREMENTS.relative_to(ROOT)} ...")
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(PEERS_ENV)], check=True)
    pip = [str(peers_python()), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    (PEERS_ENV / "requirements.txt").write_text(REQUIREMENTS.read_text())


def peer_versions() -> dict[str, str]:
    """Versions pinned for the peers (from the requirements file)."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        name, _, version = line.strip().partition("==")
        if name and not name.startswith("#"):
            pins[name] = version
    return pins


# --- the jobs -----------------------------------------------------------------------------


def orderdesk_job(api: str, store: str, workload: str, count: int, *extra: str) -> Job:
    """Return the job of one orderdesk variant."""
    args = ("--api", api, "--store", store, *extra)
    return Job("orderdesk", f"{api} {store}", workload, count, "bench.peers_orderdesk", args)


def floor_job(floor: str, workload: str, count: int, shape: dict[str, int]) -> Job:
    """Return the job of one floor; ``shape`` gives its commits and updates per order."""
    args = ("--floor", floor, "--commits", str(shape["commits"]),
            "--updates", str(shape["updates"]))  # fmt: skip
    return Job("floors", floor, workload, count, "bench.peers_floors", args)


def peer_job(system: str, workload: str, count: int) -> Job:
    """Return the job of one peer."""
    module = {"nautilus": "bench.peer_nautilus", "backtrader": "bench.peer_backtrader"}[system]
    variant = {"nautilus": "BacktestEngine", "backtrader": "Cerebro"}[system]
    return Job(system, variant, workload, count, module)


def plan(sizes: Sizes, systems: Iterable[str], shapes: dict[str, dict[str, int]]) -> list[Job]:
    """Return every job of the run, interleaved: all systems of a workload in turn."""
    chosen = set(systems)
    jobs: list[Job] = []

    def cell(workload: str, count: int, every_variant: bool) -> None:
        if "orderdesk" in chosen:
            variants = (
                [(a, s) for s in STORES for a in APIS] if every_variant else [("async", "memory")]
            )
            jobs.extend(orderdesk_job(a, s, workload, count) for a, s in variants)
        for peer in ("nautilus", "backtrader"):
            if peer in chosen:
                jobs.append(peer_job(peer, workload, count))
        if "floors" in chosen:
            floors = ("memory", "normal", "full", "fsync") if every_variant else ("memory",)
            shape = shapes["limit" if workload == "limit" else "market"]
            jobs.extend(floor_job(f, workload, count, shape) for f in floors)

    for workload in ("market", "limit"):
        cell(workload, sizes.stream, every_variant=True)
    for count in sizes.growth:
        cell("market", count, every_variant=False)
    cell("one-sided", sizes.stream, every_variant=False)
    unique: dict[tuple[str, str, str, int], Job] = {}
    for job in jobs:
        unique.setdefault(job.key, job)
    return list(unique.values())


# --- running ------------------------------------------------------------------------------


def run_job(job: Job, seed: int, budget: float) -> dict[str, Any]:
    """Run ``job`` in its own process; return its JSON result (raise if it failed)."""
    python = peers_python() if job.system in ("nautilus", "backtrader") else Path(sys.executable)
    command = [str(python), "-m", job.module, "--workload", job.workload,
               "--count", str(job.count), "--seed", str(seed), "--budget", str(budget),
               *job.args]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(command[1:])} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    if result["filled"] != result["orders"] or result.get("denied"):
        raise RuntimeError(f"{job.key}: not every order filled: {result}")
    return result


def measure_shapes(count: int, seed: int) -> dict[str, dict[str, int]]:
    """Count orderdesk's write transactions and order-row updates per MARKET and LIMIT order."""
    shapes = {}
    for workload in ("market", "limit"):
        job = orderdesk_job("async", "normal", workload, count, "--count-commits")
        result = run_job(job, seed, budget=600.0)
        writes = result["writes_per_order"]
        shapes[workload] = {
            "commits": round(result["commits_per_order"]),
            "updates": round(writes.get("UPDATE orders", 0)),
        }
        shapes[workload + " writes"] = {k: round(v, 2) for k, v in writes.items()}
    return shapes


def run_all(
    jobs: list[Job], rounds: int, seed: int, budgets: tuple[float, float], big: int
) -> dict[tuple[str, str, str, int], Outcome]:
    """Run every job ``rounds`` times, interleaved; return the outcomes by job key.

    ``budgets`` is (seconds per run, seconds per run of ``big`` orders). A job that fails
    is reported and left out of the tables; the run goes on.
    """
    outcomes = {job.key: Outcome(job) for job in jobs}
    for round_ in range(rounds):
        for n, job in enumerate(jobs, 1):
            began = time.perf_counter()
            budget = budgets[1] if job.count >= big else budgets[0]
            try:
                result = run_job(job, seed, budget)
            except RuntimeError as error:
                print(f"  FAILED {job.key}: {error}", flush=True)
                FAILURES.append(f"{' '.join(map(str, job.key))}: {str(error).splitlines()[0]}")
                continue
            outcomes[job.key].results.append(result)
            mark = " (over budget)" if result["over_budget"] else ""
            print(f"  [{round_ + 1}/{rounds} {n}/{len(jobs)}] {job.system} {job.variant} "
                  f"{job.workload} {result['orders']:,}/{job.count:,}: "
                  f"{per_order(result) * 1e6:,.1f} us/order{mark} "
                  f"({time.perf_counter() - began:.0f} s)", flush=True)  # fmt: skip
    return outcomes


def profile(count: int, seed: int) -> dict[str, Any]:
    """Profile orderdesk's async memory MARKET run; return the summary."""
    job = orderdesk_job("async", "memory", "market", count, "--profile")
    result: dict[str, Any] = run_job(job, seed, budget=600.0)["profile"]
    return result


FAILURES: list[str] = []
"""Jobs that failed in this run (their cells read "-")."""


# --- tables -------------------------------------------------------------------------------

Outcomes = dict[tuple[str, str, str, int], Outcome]


def _find(
    outcomes: Outcomes, system: str, variant: str, workload: str, count: int
) -> dict[str, Any] | None:
    outcome = outcomes.get((system, variant, workload, count))
    return None if outcome is None or not outcome.results else outcome.best


def _rate(result: dict[str, Any] | None) -> str:
    if result is None:
        return "-"
    mark = "*" if result["over_budget"] else ""
    return f"{1 / per_order(result):,.0f}{mark}"


def _us(result: dict[str, Any] | None) -> str:
    if result is None:
        return "-"
    mark = "*" if result["over_budget"] else ""
    return f"{per_order(result) * 1e6:,.1f}{mark}"


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    """How many times faster ``a`` is than ``b`` (orders per second of a over b)."""
    if a is None or b is None:
        return "-"
    return f"{per_order(b) / per_order(a):.2f}x"


def _label(system: str, variant: str) -> str:
    if system == "orderdesk":
        api, store = variant.split()
        return f"orderdesk {api} API, {STORE_NAMES[store]}"
    if system == "floors":
        return {"memory": "floor: bare loop, slotted dataclasses",
                "normal": "floor: raw sqlite3, NORMAL", "full": "floor: raw sqlite3, FULL",
                "fsync": "floor: one fsync per commit"}[variant]  # fmt: skip
    return {"nautilus": "nautilus_trader BacktestEngine",
            "backtrader": "backtrader Cerebro"}[system]  # fmt: skip


def stream_table(outcomes: Outcomes, count: int) -> list[str]:
    """The same-stream table: orders/s for MARKET and LIMIT, and ratios."""
    base = ("orderdesk", "async memory")
    lines = [
        f"| system ({count:,} orders each) | MARKET orders/s | LIMIT orders/s | "
        "MARKET µs/order | LIMIT µs/order | MARKET vs orderdesk async memory | "
        "LIMIT vs orderdesk async memory |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows: list[tuple[str, str]] = [("orderdesk", f"{a} {s}") for s in STORES for a in APIS]
    rows += [("nautilus", "BacktestEngine"), ("backtrader", "Cerebro")]
    rows += [("floors", f) for f in ("memory", "normal", "full", "fsync")]
    for system, variant in rows:
        market = _find(outcomes, system, variant, "market", count)
        limit = _find(outcomes, system, variant, "limit", count)
        if market is None and limit is None:
            continue
        lines.append(
            f"| {_label(system, variant)} | {_rate(market)} | {_rate(limit)} | {_us(market)} | "
            f"{_us(limit)} | "
            f"{_ratio(market, _find(outcomes, *base, 'market', count))} | "
            f"{_ratio(limit, _find(outcomes, *base, 'limit', count))} |"
        )
    return lines


def growth_table(outcomes: Outcomes, sizes: Sizes) -> list[str]:
    """Per-order cost at each size and on the one-sided stream, and the ratio to the smallest."""
    small, big = sizes.growth[0], sizes.growth[-1]
    head = " | ".join(f"MARKET {n:,} µs/order" for n in sizes.growth)
    lines = [
        f"| system | {head} | one-sided {sizes.stream:,} µs/order | "
        f"{big:,} / {small:,} | one-sided / {small:,} |",
        "|---|" + "---:|" * (len(sizes.growth) + 3),
    ]
    rows = [("orderdesk", "async memory"), ("nautilus", "BacktestEngine"),
            ("backtrader", "Cerebro"), ("floors", "memory")]  # fmt: skip
    for system, variant in rows:
        cells = [_find(outcomes, system, variant, "market", n) for n in sizes.growth]
        one = _find(outcomes, system, variant, "one-sided", sizes.stream)
        if all(c is None for c in cells) and one is None:
            continue
        first = cells[0]
        grow = _ratio(first, cells[-1])
        lean = _ratio(first, one)
        lines.append(f"| {_label(system, variant)} | {' | '.join(_us(c) for c in cells)} | "
                     f"{_us(one)} | {grow} | {lean} |")  # fmt: skip
    return lines


def aims(outcomes: Outcomes, sizes: Sizes, shapes: dict[str, dict[str, int]]) -> list[str]:
    """One line per aim: the figure, the target, met or missed by how much."""
    n = sizes.stream
    lines = ["| aim | figure | target | verdict |", "|---|---:|---:|---|"]

    def verdict(value: float, target: float, higher_is_better: bool) -> str:
        ok = value >= target if higher_is_better else value <= target
        if ok:
            return "met"
        factor = target / value if higher_is_better else value / target
        return f"**missed** by {factor:.2f}x"

    for workload in ("market", "limit"):
        mine = _find(outcomes, "orderdesk", "async memory", workload, n)
        for peer, variant, times in (
            ("nautilus", "BacktestEngine", 10.0),
            ("backtrader", "Cerebro", 5.0),
        ):
            theirs = _find(outcomes, peer, variant, workload, n)
            if mine and theirs:
                x = per_order(theirs) / per_order(mine)
                lines.append(f"| orderdesk async memory vs {_label(peer, variant)}, "
                             f"{workload.upper()} | {x:.2f}x | ≥ {times:g}x | "
                             f"{verdict(x, times, True)} |")  # fmt: skip
        sync = _find(outcomes, "orderdesk", "sync memory", workload, n)
        if mine and sync:
            x = per_order(sync) / per_order(mine)
            lines.append(f"| orderdesk sync API cost vs async, memory, {workload.upper()} | "
                         f"{x:.2f}x | ≤ 1.3x | {verdict(x, 1.3, False)} |")  # fmt: skip
        for store, floor, target, text in (
            ("normal", "normal", 0.7, "raw sqlite3 NORMAL"),
            ("full", "fsync", 1 / 1.5, "one fsync per commit"),
        ):
            mine_s = _find(outcomes, "orderdesk", f"async {store}", workload, n)
            base = _find(outcomes, "floors", floor, workload, n)
            if mine_s and base:
                x = per_order(base) / per_order(mine_s)
                want = "≥ 0.7 of it" if store == "normal" else "≥ 0.67 of it (within 1.5x)"
                lines.append(f"| orderdesk async {STORE_NAMES[store]} vs {text} floor "
                             f"({shapes[workload]['commits']} commits/order), "
                             f"{workload.upper()} | {x:.2f} | {want} | "
                             f"{verdict(x, target, True)} |")  # fmt: skip
    cells = [_find(outcomes, "orderdesk", "async memory", "market", c) for c in sizes.growth]
    one = _find(outcomes, "orderdesk", "async memory", "one-sided", n)
    small = cells[0]
    if small:
        for label, other in ((f"MARKET at {sizes.growth[-1]:,}", cells[-1]),
                             (f"one-sided at {n:,}", one)):  # fmt: skip
            if other:
                x = per_order(other) / per_order(small)
                reached = f" (reached {other['orders']:,})" if other["over_budget"] else ""
                lines.append(f"| orderdesk per-order cost, {label}{reached}, vs "
                             f"{sizes.growth[0]:,} | {x:.2f}x | ≤ 1.2x | "
                             f"{verdict(x, 1.2, False)} |")  # fmt: skip
    return lines


def profile_lines(summary: dict[str, Any], count: int) -> list[str]:
    """The profile, own time grouped by module area, then the top functions."""
    total = summary["total"]
    lines = [f"cProfile of orderdesk's async memory MARKET run, {count:,} orders "
             f"(own time; the profiler roughly doubles it):", "",
             "| area | own s | share |", "|---|---:|---:|"]  # fmt: skip
    lines += [f"| {area} | {own:.2f} | {own / total:.0%} |" for area, own in summary["areas"]]
    lines += ["", "| function | own s | calls | cumulative s |", "|---|---:|---:|---:|"]
    lines += [f"| `{name}` | {own:.2f} | {calls:,} | {cum:.2f} |"
              for name, own, calls, cum in summary["top"]]  # fmt: skip
    return lines


def report(
    outcomes: Outcomes,
    sizes: Sizes,
    shapes: dict[str, dict[str, int]],
    summary: dict[str, Any] | None,
    meta: dict[str, str],
) -> list[str]:
    """The whole section, as Markdown lines."""
    lines = [
        f"{meta['machine']}; run {meta['date']}, {meta['elapsed']} in all; "
        f"orderdesk {meta['orderdesk']}, {meta['peers']}; SQLite {sqlite3.sqlite_version}. "
        f"Best of {meta['rounds']} interleaved round(s) per figure; time budget "
        f"{meta['budget']} s per run (`*`: the run hit it and the figure is the per-order "
        f"cost at the count it reached). Command: `{meta['command']}`.",
        "",
        "Same stream, every order FILLED (checked for every system; nautilus_trader denied "
        f"{meta['denied']} orders):",
        "",
        *stream_table(outcomes, sizes.stream),
        "",
        "Growth: per-order cost (µs) of the same MARKET stream at each size, and of the "
        "one-sided stream (all BUY: one position keeps accumulating fills):",
        "",
        *growth_table(outcomes, sizes),
        "",
        "Aims:",
        "",
        *aims(outcomes, sizes, shapes),
        "",
        f"orderdesk's writes per order, counted from its store: MARKET "
        f"{shapes['market']['commits']} transactions ({_writes(shapes['market writes'])}); "
        f"LIMIT {shapes['limit']['commits']} ({_writes(shapes['limit writes'])}). The SQLite "
        "and fsync floors reproduce that many commits per order.",
    ]
    if FAILURES:
        lines += ["", "Failed runs (left out above):", "", *(f"- {f}" for f in FAILURES)]
    if summary is not None:
        lines += ["", *profile_lines(summary, sizes.profile)]
    return lines


def _writes(writes: Mapping[str, float]) -> str:
    return ", ".join(f"{v:g} {k}" for k, v in sorted(writes.items()))


def rewrite_results(section: list[str], path: Path = RESULTS) -> None:
    """Replace the text between the peers markers in ``path`` (append the section if none)."""
    text = path.read_text()
    body = "\n".join([BEGIN, *section, END])
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + body + tail
    else:
        text = text.rstrip("\n") + "\n\n## Peers and floors — `python -m bench.peers`\n\n"
        text += body + "\n"
    path.write_text(text)


def machine() -> str:
    """The machine in one line."""
    return (f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}, CPython {platform.python_version()}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Build the peers' environment, run everything, print the tables, rewrite RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.peers")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke test")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help=f"comma-separated subset of {','.join(SYSTEMS)}")  # fmt: skip
    parser.add_argument("--budget", type=float, default=600.0, help="seconds per run at most")
    parser.add_argument(
        "--big-budget",
        type=float,
        default=None,
        help="seconds per run of the largest growth size (default: --budget)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (best of)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument("--no-build", action="store_true",
                        help="skip the peers when their environment is not built")  # fmt: skip
    args = parser.parse_args(argv)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    if {"nautilus", "backtrader"} & set(systems):
        if args.no_build and not peers_env_ready():
            print("peers' environment not built: skipping nautilus and backtrader")
            systems = [s for s in systems if s not in ("nautilus", "backtrader")]
        else:
            ensure_peers_env()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    began = time.perf_counter()
    print(f"peers benchmark ({machine()}), systems: {', '.join(systems)}")
    shapes = measure_shapes(sizes.commits, args.seed)
    jobs = plan(sizes, systems, shapes)
    big_budget = args.budget if args.big_budget is None else args.big_budget
    outcomes = run_all(jobs, args.repeat, args.seed, (args.budget, big_budget), sizes.growth[-1])
    summary = None
    if "orderdesk" in systems and not args.no_profile:
        summary = profile(sizes.profile, args.seed)
    elapsed = time.perf_counter() - began
    pins = peer_versions()
    denied = sum(int(r.get("denied", 0)) for o in outcomes.values() for r in o.results
                 if o.job.system == "nautilus")  # fmt: skip
    from importlib.metadata import version  # noqa: PLC0415

    meta = {
        "machine": machine(),
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "elapsed": f"{elapsed / 60:.0f} min",
        "orderdesk": version("orderdesk"),
        "peers": ", ".join(f"{k} {v}" for k, v in pins.items()),
        "rounds": str(args.repeat),
        "budget": f"{args.budget:g}"
        + (
            f" ({big_budget:g} s at {sizes.growth[-1]:,} orders)"
            if big_budget != args.budget
            else ""
        ),
        "denied": str(denied),
        "command": "python -m bench.peers " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    section = report(outcomes, sizes, shapes, summary, meta)
    print("\n".join(section))
    if not (args.quick or args.no_write):
        rewrite_results(section)
        print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
