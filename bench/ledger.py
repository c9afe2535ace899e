"""Ledger benchmarks (not tests): lifecycles per second beside raw-driver floors, and load.

    python -m bench.ledger                 # full run: 1,000,000 orders for load
    python -m bench.ledger --quick         # 100,000 orders for load, fewer lifecycles
    python -m bench.ledger --write         # also record the figures in bench/RESULTS.md

All figures of a run come from that one run, each beside its floor.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.ledger_lifecycle import lifecycle_figures
from bench.ledger_load import load_figures, populate_sqlite, profile_load
from orderdesk.app import tune_gc
from orderdesk.ledger.stores.sqlite import SqliteStore

RESULTS = Path(__file__).with_name("RESULTS.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 orders, fewer lifecycles")
    parser.add_argument("--orders", type=int, default=None, help="orders for the load test")
    parser.add_argument("--write", action="store_true", help="record the figures in RESULTS.md")
    args = parser.parse_args()
    total = args.orders or (100_000 if args.quick else 1_000_000)
    count = 500 if args.quick else 2_000
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}.",
        "",
        "| store | ledger lifecycles/s | raw-driver floor lifecycles/s | ledger / floor |",
        "|---|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name, rate, floor in lifecycle_figures(count, workdir):
            lines.append(f"| {name} | {rate:,.0f} | {floor:,.0f} | {rate / floor:.2f} |")
            print(lines[-1], flush=True)
        path = workdir / "load.db"
        start = time.perf_counter()
        populate_sqlite(path, total)
        print(f"populated {total:,} orders in {time.perf_counter() - start:.0f} s", flush=True)
        store = SqliteStore(path)
        lines += [
            "",
            f"`load` of one account's 1,000 open orders (status in PENDING, OPEN, "
            f"PARTIALLY_FILLED) among {total:,} orders, SQLite, 200 runs each "
            "(aim: p99 < 20 ms):",
            "",
            "| garbage collector | p50 ms | p99 ms | p99 CPU ms | orders returned |",
            "|---|---:|---:|---:|---:|",
        ]
        p50, p99, cpu99, returned = load_figures(store, 200)
        lines.append(f"| default | {p50:.1f} | {p99:.1f} | {cpu99:.1f} | {returned:,} |")
        print(lines[-1], flush=True)
        profile = profile_load(store)
        tune_gc()  # what a long-running desk does after start-up
        p50, p99, cpu99, returned = load_figures(store, 200)
        lines.append(
            "| `orderdesk.app.tune_gc()` (frozen, gen-0 threshold 100,000) "
            f"| {p50:.1f} | {p99:.1f} "
            f"| {cpu99:.1f} | {returned:,} |"
        )
        print(lines[-1], flush=True)
        store.close()
    print(profile)
    if args.write:
        text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        head, _, rest = text.partition("## Ledger\n")
        tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
        section = "## Ledger\n\n" + "\n".join(lines) + "\n"
        RESULTS.write_text(head.rstrip() + "\n\n" + section + tail)


if __name__ == "__main__":
    main()
