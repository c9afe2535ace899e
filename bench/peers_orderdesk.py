"""orderdesk on the peers' stream: the real Broker over a Ledger, on the in-process PaperExchange.

Run (one variant, one JSON line): ``python -m bench.peers_orderdesk --api async|sync
--store memory|normal|full --workload market|limit|one-sided --count N [--budget SECONDS]
[--profile] [--count-commits]``.

Per tick ``n``: the simulated clock moves on a millisecond, the exchange gets the quote (the
stream's bid and ask, 100 deep), the broker records the reports that fell due (as a running
report loop would: a resting LIMIT order's fill arrives here), then order ``n`` is built (a
validated ``Order`` in a group of its own, as ``orderdesk submit`` makes one) and submitted
through the AsyncBroker (``--api async``) or the synchronous ``Broker`` facade around it
(``--api sync``, one blocking-portal call per order). The broker runs with a market-data
arrival price and without the balance query (``check_balance=False``, as ``bench.broker``).
The clock runs from the first tick to the last fill recorded; then every order is checked
FILLED in the ledger (the run fails otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.metadata
import pstats
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.peer_stream import DEPTH, QUANTITY, Intent, Tick, result_line, stream
from orderdesk.broker import Broker
from orderdesk.broker.core import AsyncBroker
from orderdesk.broker.settings import BrokerSettings
from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import Order, OrderStatus, OrderType, Side, generate_group_id
from orderdesk.ports import Connector
from orderdesk.testing.paper import MARKET, START
from orderdesk.venues.paper import PaperConnector, PaperExchange
from orderdesk.venues.paper.market_data import PaperMarketData

ACCOUNT = "bench"
FUNDS = {"BTC": Decimal(100_000), "USDT": Decimal(50_000_000)}
STEP = timedelta(milliseconds=1)
STORES = ("memory", "normal", "full")
APIS = ("async", "sync")
_TYPES = {"MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT}
_SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}


def store_url(store: str, directory: Path) -> str:
    """Return the ledger URL of ``store`` (a fresh SQLite file in ``directory``)."""
    if store == "memory":
        return "memory://"
    return f"sqlite:///{directory / f'peers-{store}.db'}?synchronous={store.upper()}"


class _CountingConnection:
    """A sqlite3 connection that counts write transactions and the rows they write."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.commits = 0
        self.writes: Counter[str] = Counter()
        self._wrote = False

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Count, then run ``sql``."""
        words = sql.split(None, 3)
        verb = words[0].upper()
        if verb == "COMMIT":
            self.commits += self._wrote
            self._wrote = False
        elif verb in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if verb != "UPDATE" else words[1]
            self.writes[f"{verb} {table}"] += 1
            self._wrote = True
        return self._db.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


class Desk:
    """A PaperExchange, a Ledger and an AsyncBroker on one manual clock."""

    def __init__(self, url: str) -> None:
        self.clock = ManualClock(START)
        self.exchange = PaperExchange([MARKET], clock=self.clock, seed=0)
        self.exchange.open_account(ACCOUNT, FUNDS)
        self.ledger = Ledger(open_store(url), self.clock)
        self.connector = PaperConnector(self.exchange, ACCOUNT)
        self.core = AsyncBroker(
            self.ledger,
            self._connect,
            clock=self.clock,
            market_data=PaperMarketData(self.exchange),
            check_balance=False,
        )
        self.core.settings(account=ACCOUNT)
        self.depth = Decimal(DEPTH)
        self.quantity = Decimal(QUANTITY)
        self.submitted: list[str] = []

    def _connect(self, settings: BrokerSettings) -> Connector:
        return self.connector

    def tick(self, tick: Tick) -> None:
        """Move time on a millisecond, quote ``tick`` and record the reports now due."""
        self.clock.advance(STEP)
        self.exchange.on_quote(
            MARKET.symbol,
            [(Decimal(tick.bid) / 100, self.depth)],
            [(Decimal(tick.ask) / 100, self.depth)],
        )
        self.core.on_reports(self.connector.drain_reports())

    def order(self, intent: Intent) -> Order:
        """Return the validated order for ``intent``, created now."""
        now = self.clock.now()
        return Order(
            parent_group_id=generate_group_id(now),
            symbol=MARKET.symbol,
            side=_SIDES[intent.side],
            order_type=_TYPES[intent.kind],
            quantity=self.quantity,
            price=None if intent.price is None else Decimal(intent.price) / 100,
            created_at=now,
            updated_at=now,
        )

    def filled(self) -> tuple[int, int]:
        """Return (orders submitted and found in the ledger, of which FILLED).

        One ``get`` per order: paging through ``load_all`` costs the memory store a scan
        and sort of the whole account per page (about ten minutes at 560,000 orders).
        """
        get = self.ledger.get
        statuses = [get(ACCOUNT, order_id).order.status for order_id in self.submitted]
        return len(statuses), sum(1 for s in statuses if s is OrderStatus.FILLED)


def _orders(
    desk: Desk,
    ticks: list[Tick],
    intents: list[Intent],
    budget: float,
    outcome: list[tuple[int, float, bool]],
) -> Iterator[Order]:
    """Yield the stream's orders, each on its own tick, until the stream or the budget ends;
    then put (orders, seconds, over budget) in ``outcome``."""
    began = time.perf_counter()
    done = len(intents)
    over = False
    for n, intent in enumerate(intents):
        if n & 255 == 0 and n and time.perf_counter() - began > budget:
            done, over = n, True
            break
        desk.tick(ticks[n])
        order = desk.order(intent)
        yield order  # the caller submits it before the next tick
        desk.submitted.append(order.order_id)
    desk.tick(ticks[done])  # fills the last resting LIMIT order
    outcome.append((done, time.perf_counter() - began, over))


def _drive(
    desk: Desk,
    submit: Callable[[Order], object],
    ticks: list[Tick],
    intents: list[Intent],
    budget: float,
) -> tuple[int, float, bool]:
    """Trade the stream with ``submit``; return (orders, seconds, over budget)."""
    outcome: list[tuple[int, float, bool]] = []
    for order in _orders(desk, ticks, intents, budget, outcome):
        submit(order)
    return outcome[0]


async def _drive_async(
    desk: Desk, ticks: list[Tick], intents: list[Intent], budget: float
) -> tuple[int, float, bool]:
    """Trade the stream as an asyncio strategy does: one task awaiting each submit."""
    submit = desk.core.submit
    outcome: list[tuple[int, float, bool]] = []
    for order in _orders(desk, ticks, intents, budget, outcome):
        await submit(order)
    return outcome[0]


def run_variant(
    api: str, store: str, workload: str, *, count: int, seed: int, budget: float, directory: Path
) -> tuple[Desk, int, float, bool]:
    """Run one variant; return (desk, orders, seconds, over budget)."""
    ticks, intents = stream(workload, count, seed)
    desk = Desk(store_url(store, directory))
    if api == "async":
        result = asyncio.run(_drive_async(desk, ticks, intents, budget))
    else:
        with Broker.around(desk.core) as broker:
            result = _drive(desk, broker.submit, ticks, intents, budget)
    return desk, *result


AREAS = (
    ("orderdesk/ledger/stores", "store"),
    ("orderdesk/ledger", "ledger"),
    ("orderdesk/broker", "broker"),
    ("orderdesk/venues/paper", "paper venue"),
    ("orderdesk/model", "model"),
    ("orderdesk", "orderdesk other"),
    ("pydantic", "pydantic"),
    ("asyncio", "asyncio"),
    ("anyio", "asyncio"),
    ("bench", "harness"),
)


def area_of(filename: str, function: str) -> str:
    """Return the module area a profile entry belongs to."""
    if filename == "~":
        if "sqlite3" in function:
            return "store"
        if "pydantic" in function:
            return "pydantic"
        return "builtins"
    path = filename.replace("\\", "/")
    for marker, area in AREAS:
        if f"/{marker}/" in path or f"/{marker}." in path:
            return area
    return "python stdlib/other"


def profile_summary(profile: cProfile.Profile, top: int = 15) -> dict[str, Any]:
    """Return own time per module area and the top functions by own time.

    The own time of a standard-library or built-in function goes to the area of the function
    that called it (``dataclasses.replace`` called by the ledger counts as ledger), split
    as the profiler split it among its callers.
    """
    stats = pstats.Stats(profile)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    areas: Counter[str] = Counter()
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, callers) in raw.items():
        area = area_of(filename, function)
        if area in _UNOWNED and callers:
            for (c_file, _, c_function), timing in callers.items():
                caller_area = area_of(c_file, c_function)
                areas[caller_area if caller_area not in _UNOWNED else area] += timing[2]
        else:
            areas[area] += own
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else ""
        rows.append((own, calls, cumulative, f"{short}:{line}({function})"))
    total = sum(areas.values())
    rows.sort(reverse=True)
    return {
        "total": total,
        "areas": [[area, own] for area, own in areas.most_common()],
        "top": [[name, own, calls, cumulative] for own, calls, cumulative, name in rows[:top]],
    }


_UNOWNED = ("builtins", "python stdlib/other")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run, print one JSON line; exit 1 unless every order filled."""
    parser = argparse.ArgumentParser(prog="python -m bench.peers_orderdesk")
    parser.add_argument("--api", choices=APIS, default="async")
    parser.add_argument("--store", choices=STORES, default="memory")
    parser.add_argument("--workload", default="market")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=600.0)
    parser.add_argument("--profile", action="store_true", help="run under cProfile")
    parser.add_argument(
        "--count-commits", action="store_true", help="count the store's write transactions"
    )
    args = parser.parse_args(argv)
    fields: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="orderdesk-peers-") as tmp:
        directory = Path(tmp)
        counting: _CountingConnection | None = None
        if args.count_commits:
            original = Desk.__init__

            def counted(self: Desk, url: str) -> None:
                nonlocal counting
                original(self, url)
                store = self.ledger.store
                counting = _CountingConnection(store._db)  # type: ignore[attr-defined]
                store._db = counting  # type: ignore[attr-defined]

            Desk.__init__ = counted  # type: ignore[method-assign]
        profile = cProfile.Profile() if args.profile else None
        if profile is not None:
            profile.enable()
        desk, orders, seconds, over = run_variant(
            args.api,
            args.store,
            args.workload,
            count=args.count,
            seed=args.seed,
            budget=args.budget,
            directory=directory,
        )
        if profile is not None:
            profile.disable()
            fields["profile"] = profile_summary(profile)
        recorded, filled = desk.filled()
        if counting is not None:
            fields["commits_per_order"] = counting.commits / max(orders, 1)
            fields["writes_per_order"] = {
                name: n / max(orders, 1) for name, n in sorted(counting.writes.items())
            }
    print(
        result_line(
            system="orderdesk",
            version=importlib.metadata.version("orderdesk"),
            variant=f"{args.api} {args.store}",
            api=args.api,
            store=args.store,
            workload=args.workload,
            requested=args.count,
            orders=orders,
            recorded=recorded,
            filled=filled,
            denied=0,
            seconds=seconds,
            over_budget=over,
            **fields,
        ),
        flush=True,
    )
    if filled != orders or recorded != orders or orders == 0:
        print(f"only {filled} of {orders} orders FILLED ({recorded} recorded)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
