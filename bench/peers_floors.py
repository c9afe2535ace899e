"""The machine's floors under the peers' stream: what any order system must at least spend.

Run (one floor, one JSON line): ``python -m bench.peers_floors --floor memory|normal|full|fsync
--workload market|limit|one-sided --count N [--commits K] [--updates U] [--budget SECONDS]``.

* ``memory``: a bare loop over the same ticks and orders: the quote kept in a slotted record,
  each order a slotted dataclass kept in an index, filled at once (MARKET) or resting until
  the next tick crosses it (LIMIT), each fill a slotted dataclass appended to a list.
* ``normal`` / ``full``: bare sqlite3 writing, per order, the rows orderdesk's ledger writes
  (its group, the order, ``U`` updates of the order row, the fill, a journal row per
  transaction) in the same number of transactions ``K`` (both counted from orderdesk's own
  store by ``bench.peers_orderdesk --count-commits``), on orderdesk's schema in WAL mode
  at ``synchronous=NORMAL`` or ``FULL``: rows precomputed, no reads, no models.
* ``fsync``: ``K`` appends of a 4 KiB page to a file, each followed by ``os.fsync``: one
  fsync per commit, the least a durable commit costs on this disk.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ledger_lifecycle import (
    ACCOUNT,
    Lifecycle,
    _floor_rows,
    bench_group,
    make_lifecycles,
    statements,
)
from bench.peer_stream import Intent, Tick, result_line, stream
from orderdesk.ledger.stores.columns import ORDER_COLUMNS, SQLITE_CODEC
from orderdesk.ledger.stores.sqlite import SqliteStore

FLOORS = ("memory", "normal", "full", "fsync")
PAGE = b"\0" * 4096


@dataclass(slots=True)
class _Quote:
    bid: int
    ask: int


@dataclass(slots=True)
class _Order:
    order_id: int
    side: str
    kind: str
    quantity: str
    price: int | None
    status: str


@dataclass(slots=True)
class _Fill:
    order_id: int
    price: int
    quantity: str


def memory_floor(ticks: list[Tick], intents: list[Intent], budget: float) -> tuple[int, float, int]:
    """Return (orders, seconds, filled) for the bare in-memory loop."""
    quote = _Quote(0, 0)
    index: dict[int, _Order] = {}
    resting: list[_Order] = []
    fills: list[_Fill] = []
    began = time.perf_counter()
    done = len(intents)
    for n, intent in enumerate(intents):
        if n & 255 == 0 and n and time.perf_counter() - began > budget:
            done = n
            break
        _cross(ticks[n], quote, resting, fills)
        order = _Order(n, intent.side, intent.kind, "0.020", intent.price, "NEW")
        index[n] = order
        if intent.kind == "MARKET":
            order.status = "FILLED"
            fills.append(_Fill(n, quote.ask if intent.side == "BUY" else quote.bid, "0.020"))
        else:
            resting.append(order)
    _cross(ticks[done], quote, resting, fills)
    seconds = time.perf_counter() - began
    return done, seconds, sum(1 for o in index.values() if o.status == "FILLED")


def _cross(tick: Tick, quote: _Quote, resting: list[_Order], fills: list[_Fill]) -> None:
    quote.bid, quote.ask = tick.bid, tick.ask
    if not resting:
        return
    still = []
    for order in resting:
        assert order.price is not None
        if (order.side == "BUY" and tick.ask <= order.price) or (
            order.side == "SELL" and tick.bid >= order.price
        ):
            order.status = "FILLED"
            fills.append(_Fill(order.order_id, order.price, order.quantity))
        else:
            still.append(order)
    resting[:] = still


Step = tuple[tuple[str, tuple[Any, ...]], ...]
"""One transaction: its statements and their rows."""


def _transactions(
    life: Lifecycle, rows: tuple[Any, ...], n: int, commits: int, updates: int
) -> list[Step]:
    """Return the order's transactions: ``commits`` of them, ``updates`` order updates."""
    insert, update, fill_insert, journal = statements("?")
    order_row, j1, _, j2, filled, fill_row, j3 = rows
    rewrite = (
        f"UPDATE orders SET {', '.join(f'{c} = ?' for c in ORDER_COLUMNS[1:])} WHERE order_id = ?"
    )
    plain = (*filled[:-1],)  # the filled row without the version guard
    group = ("INSERT INTO groups (group_id, account, plan_id, body) VALUES (?, ?, ?, ?)",
             (f"G{n}-{life.order.order_id}", ACCOUNT, None, life.payloads[0]))  # fmt: skip
    out: list[Step] = [(group, (journal, j1)), ((insert, order_row), (journal, j1))]
    out += [((rewrite, plain), (journal, j2)) for _ in range(updates - 1)]
    out.append(((update, filled), (fill_insert, fill_row), (journal, j3)))
    out += [((journal, j3),) for _ in range(commits - len(out))]
    return out


def sqlite_floor(
    path: Path, synchronous: str, count: int, *, commits: int, updates: int, budget: float
) -> tuple[int, float, int]:
    """Return (orders, seconds, orders written) for bare sqlite3 on orderdesk's schema."""
    SqliteStore(path, "NORMAL").close()  # the schema, exactly as orderdesk creates it
    group = bench_group()
    lifecycles = make_lifecycles(count, group, seed=7)
    per_order = [
        _transactions(life, rows, n, commits, updates)
        for n, (life, rows) in enumerate(
            zip(lifecycles, _floor_rows(SQLITE_CODEC, lifecycles), strict=True)
        )
    ]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(
        "INSERT INTO groups (group_id, account, plan_id, body) VALUES (?, ?, ?, ?)",
        (group.group_id, ACCOUNT, None, "{}"),
    )
    execute = db.execute
    began = time.perf_counter()
    done = count
    for n, transactions in enumerate(per_order):
        if n & 255 == 0 and n and time.perf_counter() - began > budget:
            done = n
            break
        for step in transactions:
            execute("BEGIN IMMEDIATE")
            for sql, row in step:
                execute(sql, row)
            execute("COMMIT")
    seconds = time.perf_counter() - began
    written = db.execute("SELECT count(*) FROM orders").fetchone()[0]
    db.close()
    return done, seconds, written


def fsync_floor(path: Path, count: int, commits: int, budget: float) -> tuple[int, float, int]:
    """Return (orders, seconds, orders) for ``commits`` page appends and fsyncs per order."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        began = time.perf_counter()
        done = count
        for n in range(count):
            if n & 255 == 0 and n and time.perf_counter() - began > budget:
                done = n
                break
            for _ in range(commits):
                os.write(fd, PAGE)
                os.fsync(fd)
        seconds = time.perf_counter() - began
    finally:
        os.close(fd)
    return done, seconds, done


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run one floor, print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.peers_floors")
    parser.add_argument("--floor", choices=FLOORS, default="memory")
    parser.add_argument("--workload", default="market")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--commits", type=int, default=7, help="transactions per order")
    parser.add_argument("--updates", type=int, default=3, help="order-row updates per order")
    parser.add_argument("--budget", type=float, default=600.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="orderdesk-floor-") as tmp:
        if args.floor == "memory":
            ticks, intents = stream(args.workload, args.count, args.seed)
            orders, seconds, filled = memory_floor(ticks, intents, args.budget)
        elif args.floor == "fsync":
            orders, seconds, filled = fsync_floor(
                Path(tmp) / "pages", args.count, args.commits, args.budget
            )
        else:
            orders, seconds, filled = sqlite_floor(
                Path(tmp) / "floor.db", args.floor.upper(), args.count, commits=args.commits,
                updates=args.updates, budget=args.budget,
            )  # fmt: skip
    detail = "" if args.floor == "memory" else f"{args.commits} commits/order"
    print(
        result_line(
            system="floor",
            variant=args.floor,
            workload=args.workload,
            requested=args.count,
            orders=orders,
            filled=filled,
            denied=0,
            seconds=seconds,
            over_budget=orders < args.count,
            settings=detail,
        ),
        flush=True,
    )
    if filled != orders or orders == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
