"""The statistics benchmark: the full execution-quality report over N orders in SQLite.

``python -m bench.stats [--orders N] [--by order_type] [--repeat R] [--check]``

The ledger (``bench/stats_data.py``) is generated once per size and kept under
``bench/.cache/`` (ignored by git). The ways to the same figures, in one run:

* orderdesk, ``ledger_report`` on a ``SqliteStore``: SQLite sums each group's orders from
  the figures kept on every order row (ledger schema 4) and returns one row per group;
  exact (see ``orderdesk.model.execution_totals``);
* orderdesk from execution rows, the path of a store without in-database sums: one plain
  row per order, exact Decimal and integer arithmetic in Python;
* a straightforward pandas computation over the same file (``pandas.read_sql`` of orders and
  fills, float64 arithmetic, ``groupby``): the peer, with floats where orderdesk is exact;
* with ``--check``, orderdesk's per-order path (``measure()`` over ``Execution`` objects)
  on the same file, which must give the identical report (slow: about 100 µs an order).

Two floors: bare sqlite3 running the same per-group query with nothing done after it, and
bare sqlite3 stepping through one row per order (what any per-order Python path pays).
Each figure is the best of ``--repeat`` runs, wall and CPU time of this process (the
machine may be shared: CPU time shows our own work).
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats_data import ACCOUNT, CACHE, ledger_file
from bench.timing import machine_line
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores.sqlite import TOTALS_SELECT, SqliteStore
from orderdesk.ports import OrderQuery
from orderdesk.stats import Report, executions, ledger_report, report, report_of_rows
from orderdesk.stats.rows import report_of_totals

__all__ = ["Timing", "main", "orderdesk_report", "pandas_report", "run"]

AIM_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Timing:
    """One contender's best wall and CPU seconds, and what it returned."""

    name: str
    wall: float
    cpu: float
    result: Any


def _best(name: str, work: Callable[[], Any], repeat: int) -> Timing:
    wall = cpu = float("inf")
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return Timing(name, wall, cpu, result)


def orderdesk_report(path: Path, group_by: Sequence[str]) -> Report:
    """The full report from the SQLite file, through a fresh store and Ledger."""
    store = SqliteStore(path, synchronous="NORMAL")
    try:
        return ledger_report(Ledger(store, SystemClock()), ACCOUNT, group_by=group_by)
    finally:
        store.close()


def rows_report(path: Path, group_by: Sequence[str]) -> Report:
    """The report from one execution row per order, summed in Python."""
    store = SqliteStore(path, synchronous="NORMAL")
    try:
        rows = store.execution_rows(ACCOUNT, OrderQuery(), tuple(group_by))
        return report_of_rows(rows, group_by=group_by)
    finally:
        store.close()


def _sums_sql(group_by: Sequence[str]) -> str:
    key = " || char(31) || ".join(group_by) or "''"
    group = f" GROUP BY {key}" if group_by else ""
    return TOTALS_SELECT.format(key=key, where="account = ?", group=group)


def sums_floor(path: Path, group_by: Sequence[str]) -> int:
    """The floor of orderdesk's path: bare sqlite3 running the same per-group query, with
    nothing done after it; returns the group count."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA threads = 2")  # as the store sets it
        return len(db.execute(_sums_sql(group_by), (ACCOUNT,)).fetchall())
    finally:
        db.close()


def raw_floor(path: Path, group_by: Sequence[str]) -> int:
    """The floor: bare sqlite3 stepping through the same order columns, doing nothing with
    them (no fills read, no arithmetic); returns the row count."""
    key = " || char(31) || ".join(group_by) or "''"
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            f"SELECT {key}, status, side, arrival_price, filled_quantity, notional,"
            " COALESCE(sent_at, created_at), CASE WHEN status = 'FILLED' THEN first_fill_at END"
            " FROM orders WHERE account = ?",
            (ACCOUNT,),
        )
        count = 0
        for _ in rows:
            count += 1
        return count
    finally:
        db.close()


def per_order_report(path: Path, group_by: Sequence[str]) -> Report:
    """The same report through an Execution object and measure() per order."""
    store = SqliteStore(path, synchronous="NORMAL")
    try:
        found = iter(list(executions(Ledger(store, SystemClock()), ACCOUNT)))
        return report(found, group_by=group_by)
    finally:
        store.close()


def pandas_report(path: Path, group_by: Sequence[str]) -> Any:
    """The same figures the straightforward pandas way, in float64 (a DataFrame per group)."""
    import pandas as pd  # noqa: PLC0415 - the peer is optional

    db = sqlite3.connect(path)
    try:
        orders = pd.read_sql(
            "SELECT order_id, symbol, side, order_type, account, venue, status, arrival_price,"
            " filled_quantity, notional, COALESCE(sent_at, created_at) AS submitted_at,"
            " last_fill_at AS filled_at FROM orders WHERE account = ?",
            db,
            params=(ACCOUNT,),
        )
    finally:
        db.close()
    frame = orders
    frame["filled_at"] = pd.to_datetime(frame["filled_at"], format="ISO8601")
    arrival = frame["arrival_price"].astype("float64")
    filled = frame["filled_quantity"].astype("float64")
    notional = frame["notional"].astype("float64")
    sign = frame["side"].map({"BUY": 1.0, "SELL": -1.0})
    frame["slippage_bps"] = (sign * (notional / filled - arrival) / arrival * 10_000).where(
        filled > 0
    )
    frame["slipped_notional"] = notional.where(frame["slippage_bps"].notna())
    frame["weighted"] = frame["slippage_bps"] * frame["slipped_notional"]
    done = frame["status"] == "FILLED"
    submitted = pd.to_datetime(frame["submitted_at"], format="ISO8601")
    frame["fill_time_s"] = (frame["filled_at"].where(done) - submitted).dt.total_seconds()
    for status in ("FILLED", "CANCELLED", "REJECTED", "EXPIRED"):
        frame[status] = frame["status"] == status
    keys = list(group_by) or (lambda _: 0)
    grouped = frame.groupby(keys)
    slip, times = grouped["slippage_bps"], grouped["fill_time_s"]
    return pd.DataFrame(
        {
            "orders": grouped.size(),
            "slippage_count": slip.count(),
            "slippage_mean_bps": slip.mean(),
            "slippage_median_bps": slip.median(),
            "slippage_p90_bps": slip.quantile(0.9),
            "slippage_p99_bps": slip.quantile(0.99),
            "slippage_weighted_bps": grouped["weighted"].sum() / grouped["slipped_notional"].sum(),
            "fill_time_count": times.count(),
            "fill_time_mean_s": times.mean(),
            "fill_time_p50_s": times.median(),
            "fill_time_p90_s": times.quantile(0.9),
            "fill_time_p99_s": times.quantile(0.99),
            "fill_rate": grouped["FILLED"].mean(),
            "cancel_rate": grouped["CANCELLED"].mean(),
            "reject_rate": grouped["REJECTED"].mean(),
            "expiry_rate": grouped["EXPIRED"].mean(),
        }
    )


def _agree(ours: Report, theirs: Any) -> float:
    """Return the largest difference between our exact figures and pandas' floats."""
    worst = 0.0
    for key, stats in ours.groups.items():
        row = theirs.loc[key if len(key) > 1 else key[0]] if key else theirs.iloc[0]
        for name in theirs.columns:
            mine = getattr(stats, name)
            if mine is None:
                continue
            worst = max(worst, abs(float(mine) - float(row[name])))
    return worst


def run(
    orders: int, group_by: Sequence[str], repeat: int, check: bool, cache: Path = CACHE
) -> list[Timing]:
    """Time the report over ``orders`` orders: orderdesk, pandas, and (``check``) per order."""
    path = ledger_file(orders, cache=cache)
    contenders = [
        ("orderdesk ledger_report (exact)", lambda: orderdesk_report(path, group_by)),
        ("pandas read_sql + groupby (float64)", lambda: pandas_report(path, group_by)),
        ("floor: bare sqlite3, the same per-group query", lambda: sums_floor(path, group_by)),
        ("orderdesk from execution rows (exact)", lambda: rows_report(path, group_by)),
        ("floor: bare sqlite3 stepping through the order rows", lambda: raw_floor(path, group_by)),
    ]
    timings = [_best(name, work, repeat) for name, work in contenders]
    if timings[3].result != timings[0].result:
        raise AssertionError("the report from execution rows differs from the summed one")
    if check:
        slow = _best("orderdesk per order (measure)", lambda: per_order_report(path, group_by), 1)
        if slow.result != timings[0].result:
            raise AssertionError("the fast report differs from the per-order report")
        timings.append(slow)
    return timings


def _cpu(work: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.process_time()
    result = work()
    return time.process_time() - started, result


def profile(path: Path, group_by: Sequence[str]) -> list[tuple[str, float]]:
    """Return where orderdesk's CPU time goes: SQLite's per-group query, the store's work on
    its rows (lists parsed and sorted, the weighted slippage decided), and the figures."""
    store = SqliteStore(path, synchronous="NORMAL")
    try:
        keys = tuple(group_by)
        query, _ = _cpu(lambda: sums_floor(path, keys))
        summed, totals = _cpu(lambda: store.execution_totals(ACCOUNT, OrderQuery(), keys))
        figures, _ = _cpu(lambda: report_of_totals(totals, group_by=keys))
    finally:
        store.close()
    return [
        ("SQLite's per-group query (bare sqlite3)", query),
        ("the store's sums, with that query (execution_totals)", summed),
        ("the figures from the sums (report_of_totals)", figures),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures as a Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m bench.stats", description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000, help="ledger size")
    parser.add_argument("--by", default="order_type", help="group by (comma separated)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (best)")
    parser.add_argument("--check", action="store_true", help="also run the per-order path")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where ledgers are kept")
    parser.add_argument("--profile", action="store_true", help="say where the time goes")
    args = parser.parse_args(argv)
    group_by = [name for name in args.by.split(",") if name]
    timings = run(args.orders, group_by, args.repeat, args.check, args.cache)
    ours, peer, floor = timings[0], timings[1], timings[2]
    print(f"{machine_line()}; SQLite {sqlite3.sqlite_version}; {args.orders:,} orders, "
          f"grouped by {', '.join(group_by) or 'nothing'}, best of {args.repeat}")  # fmt: skip
    print("\n| path | wall s | CPU s | wall / pandas | CPU / floor |\n|---|---:|---:|---:|---:|")
    for timing in timings:
        print(f"| {timing.name} | {timing.wall:.2f} | {timing.cpu:.2f} | "
              f"{timing.wall / peer.wall:.2f} | {timing.cpu / floor.cpu:.1f} |")  # fmt: skip
    aim = "met" if ours.wall <= AIM_SECONDS and ours.wall <= peer.wall else "missed"
    print(
        f"\nAim (<= {AIM_SECONDS:.0f} s and no slower than pandas): {aim}. "
        f"Largest |orderdesk - pandas| over the figures: {_agree(ours.result, peer.result):.2g}"
    )
    if args.profile:
        print("\nWhere orderdesk's CPU time goes (seconds):")
        for label, value in profile(ledger_file(args.orders, cache=args.cache), group_by):
            print(f"- {label}: {value:.2f}")


if __name__ == "__main__":
    main()
