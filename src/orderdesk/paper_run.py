"""``orderdesk paper run``: a trader's own market data and orders (or strategy) on paper.

The feed (a quotes, trades or bars CSV, see :mod:`orderdesk.venues.paper.feeds`) drives a
PaperExchange on a simulated clock; orders go through the AsyncBroker into a durable
ledger, exactly as in live trading. Orders come from one of:

* an orders CSV, each row sent at its own time (columns below; the optional ones may be
  left out of the header or left empty)::

      time,symbol,side,order_type,quantity,price,stop_price,time_in_force,expire_at,cancel_at
      2025-12-01T15:00:05Z,BTC_USDT,BUY,LIMIT,0.010,94990.00,,GTC,,2025-12-01T15:10:00Z

  ``cancel_at`` asks for a cancel at that time if the order is still working;
* a strategy, ``module:function`` or ``path/to/file.py:function``: called once per
  ``step`` of simulated time (1 s by default) with a :class:`Step`; it may be a plain or an
  ``async`` function. ``step.submit(...)`` and ``step.cancel(...)`` are carried out, in
  order, when the function returns.

The whole input is read and checked before anything is recorded: a bad row is a
``ValueError`` naming its line, and nothing is written. An order that breaks the venue's
filters or the balance is refused by the pre-trade checks (nothing recorded or sent) and
listed in :attr:`PaperRun.refused`. ``stop`` is polled between steps: a run that stops
early (Ctrl-C) leaves every order it sent recorded with its outcome.

``commit`` says how the ledger commits (:class:`CommitMode`): every change on its own, as
in live trading (``"change"``, the default), or once per simulated step (``"step"``). A
step is everything the run does at one simulated time: the feed replayed up to it, the
venue's reports recorded, the orders and cancels due placed, the strategy called and its
actions carried out, and the reports they brought recorded. It ends with every order it
sent answered and recorded, and before any wait on real time (``speed`` pacing), so a
crash loses at most the step in progress, and the ledger it leaves is the one the run
would leave had it stopped at the end of its last committed step. Only for this replay,
whose venue lives in the process and is lost with it anyway; never around a real venue,
where an intent must be durable before its request leaves. On a store that cannot group
commits (PostgreSQL) each change commits on its own whatever ``commit`` says, and
:attr:`PaperRun.commit` says ``"change"``.
"""

from __future__ import annotations

import asyncio
import csv
import importlib
import importlib.util
import inspect
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from orderdesk.app import DEFAULT_MARKETS, MarketEvent, PaperDesk, PaperExchange, paper_desk
from orderdesk.broker import AsyncBroker
from orderdesk.errors import IntegrityAlarm, PreTradeRejected
from orderdesk.ledger import Ledger
from orderdesk.model import Market, Order, OrderType, Side, TimeInForce, generate_group_id
from orderdesk.model.decimals import EXACT, parse_positive
from orderdesk.model.order import symbol_of
from orderdesk.model.timestamps import require_utc
from orderdesk.ports import Batching

__all__ = [
    "ORDER_COLUMNS",
    "CommitMode",
    "PaperRun",
    "ScheduledOrder",
    "Step",
    "Strategy",
    "check_inputs",
    "load_strategy",
    "read_orders",
    "run_paper",
]

ORDER_COLUMNS = (
    "time", "symbol", "side", "order_type", "quantity", "price", "stop_price",
    "time_in_force", "expire_at", "cancel_at",
)  # fmt: skip
_REQUIRED = ORDER_COLUMNS[:5]


class CommitMode(StrEnum):
    """How a paper run commits to its ledger."""

    CHANGE = "change"
    """Every ledger change is its own durable commit, as in live trading."""
    STEP = "step"
    """Every simulated step is one commit: a crash loses at most the step in progress."""


@dataclass(frozen=True, slots=True)
class ScheduledOrder:
    """One row of an orders CSV: the order, when to send it, when to cancel it."""

    line: int
    order: Order
    cancel_at: datetime | None = None


def _time(text: str, line: int, column: str) -> datetime:
    try:
        if text.isascii() and text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        return require_utc(datetime.fromisoformat(text))
    except ValueError:
        raise ValueError(
            f"orders CSV line {line}: {column} {text!r} is not ISO 8601 with a zone "
            "or epoch milliseconds"
        ) from None


_E = TypeVar("_E", Side, OrderType, TimeInForce)


def _enum(kind: type[_E], text: str, line: int, column: str) -> _E:
    try:
        return kind(text.upper())
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise ValueError(
            f"orders CSV line {line}: {column} {text!r} is not one of {known}"
        ) from None


def _row(line: int, row: Mapping[str, str]) -> ScheduledOrder:
    def text(column: str) -> str:
        return (row.get(column) or "").strip()

    for column in _REQUIRED:
        if not text(column):
            raise ValueError(f"orders CSV line {line}: {column} is empty")
    at = _time(text("time"), line, "time")
    fields: dict[str, Any] = {
        "parent_group_id": generate_group_id(at),
        "symbol": symbol_of(text("symbol")),
        "side": _enum(Side, text("side"), line, "side"),
        "order_type": _enum(OrderType, text("order_type"), line, "order_type"),
        "created_at": at,
        "updated_at": at,
    }
    try:
        fields["quantity"] = parse_positive(text("quantity"))
        for column in ("price", "stop_price"):
            if text(column):
                fields[column] = parse_positive(text(column))
    except ValueError as error:
        raise ValueError(f"orders CSV line {line}: {error}") from None
    if text("time_in_force"):
        fields["time_in_force"] = _enum(TimeInForce, text("time_in_force"), line, "time_in_force")
    if text("expire_at"):
        fields["expire_at"] = _time(text("expire_at"), line, "expire_at")
    cancel_at = _time(text("cancel_at"), line, "cancel_at") if text("cancel_at") else None
    try:
        order = Order.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "row"
        raise ValueError(f"orders CSV line {line}: {where}: {first['msg']}") from None
    if cancel_at is not None and cancel_at < at:
        raise ValueError(f"orders CSV line {line}: cancel_at is before time")
    return ScheduledOrder(line, order, cancel_at)


def read_orders(path: str | Path) -> list[ScheduledOrder]:
    """Read and check a whole orders CSV; return its orders sorted by time (stable)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        unknown = [name for name in header if name not in ORDER_COLUMNS]
        missing = [name for name in _REQUIRED if name not in header]
        if unknown or missing:
            raise ValueError(
                f"orders CSV header: unknown {unknown}, missing {missing}; "
                f"columns are {', '.join(ORDER_COLUMNS)}"
            )
        rows = [_row(n, row) for n, row in enumerate(reader, start=2)]
    return sorted(rows, key=lambda scheduled: scheduled.order.created_at)


class Step:
    """What a strategy sees at one step: the time, the market, its working orders.

    ``sent`` holds the ids of the orders its run has sent, the only ones
    :meth:`open_orders` lists (``None``: every working order of the account).
    """

    def __init__(
        self,
        now: datetime,
        broker: AsyncBroker,
        exchange: PaperExchange,
        sent: Collection[str] | None = None,
    ) -> None:
        self.now = now
        self.broker = broker
        """The AsyncBroker, for an ``async`` strategy that wants more than the helpers."""
        self._exchange = exchange
        self._sent = sent
        self._actions: list[Order | str] = []
        self._working: list[Order] = []

    async def _prepare(self) -> None:
        working = await self.broker.load("OPEN")
        sent = self._sent
        self._working = working if sent is None else [o for o in working if o.order_id in sent]

    def mid(self, symbol: str) -> Decimal | None:
        """Return the mid of ``symbol``'s best bid and ask now, or ``None``."""
        if symbol not in self._exchange.markets:
            return None
        bid, ask = self._exchange.best_quote(symbol)
        if bid is None or ask is None:
            return None
        return EXACT.divide(EXACT.add(bid, ask), Decimal(2))

    def open_orders(self) -> list[Order]:
        """Return the working orders (OPEN and PARTIALLY_FILLED) as of this step: in a
        paper run, the ones this run sent (an earlier run's orders in the same account
        were at a venue that ended with that run)."""
        return list(self._working)

    def submit(
        self,
        symbol: str,
        side: Side | str,
        quantity: Decimal | str,
        *,
        price: Decimal | str | None = None,
        stop_price: Decimal | str | None = None,
        order_type: OrderType | str | None = None,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
        expire_at: datetime | None = None,
    ) -> Order:
        """Queue an order; return it (with its id). The type defaults to LIMIT with a
        price, STOP_LIMIT with a stop too, and MARKET with neither."""
        if order_type is None:
            order_type = (
                OrderType.MARKET
                if price is None
                else OrderType.LIMIT
                if stop_price is None
                else OrderType.STOP_LIMIT
            )
        fields: dict[str, Any] = {
            "parent_group_id": generate_group_id(self.now),
            "symbol": symbol,
            "side": side,
            "order_type": order_type,
            "quantity": Decimal(quantity),
            "time_in_force": time_in_force,
            "created_at": self.now,
            "updated_at": self.now,
        }
        if price is not None:
            fields["price"] = Decimal(price)
        if stop_price is not None:
            fields["stop_price"] = Decimal(stop_price)
        if expire_at is not None:
            fields["expire_at"] = expire_at
        order = Order.model_validate(fields)
        self._actions.append(order)
        return order

    def cancel(self, order_id: str) -> None:
        """Queue a cancel of ``order_id``."""
        self._actions.append(order_id)


Strategy = Callable[[Step], Awaitable[None] | None]


def load_strategy(spec: str) -> Strategy:
    """Return the function ``spec`` names: ``package.module:function`` or ``file.py:function``."""
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name:
        raise ValueError(f"strategy {spec!r} is not module:function or file.py:function")
    try:
        if target.endswith(".py"):
            path = Path(target)
            if not path.is_file():
                raise ValueError(f"strategy file {target} does not exist")
            loader = importlib.util.spec_from_file_location(f"orderdesk_strategy_{path.stem}", path)
            assert loader is not None
            assert loader.loader is not None
            module = importlib.util.module_from_spec(loader)
            sys.modules[loader.name] = module
            loader.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except ImportError as error:
        raise ValueError(f"cannot import the strategy's module {target!r}: {error}") from None
    function = getattr(module, name, None)
    if not callable(function):
        raise ValueError(f"{target} has no function {name!r}")
    return function  # type: ignore[no-any-return]


@dataclass
class PaperRun:
    """What a paper run did."""

    account: str
    ledger: Ledger
    events: int = 0
    """Market events replayed."""
    submitted: list[str] = field(default_factory=list)
    """Ids of the orders recorded and sent, in order."""
    cancels: int = 0
    refused: list[tuple[datetime, str]] = field(default_factory=list)
    """Orders the pre-trade checks refused (nothing recorded): when, and why."""
    start: datetime | None = None
    end: datetime | None = None
    interrupted: bool = False
    alarms: list[IntegrityAlarm] = field(default_factory=list)
    """Reports the ledger refused as contradicting it (each journaled on its order)."""
    exchange: PaperExchange | None = None
    """The paper venue as the run left it: its books, balances and fills."""
    commit: CommitMode = CommitMode.CHANGE
    """How the run committed: per step only where the store groups commits."""
    _sent: set[str] = field(default_factory=set, init=False, repr=False)


async def _place(desk: PaperDesk, run: PaperRun, order: Order) -> None:
    try:
        record = await desk.broker.submit(order)
    except PreTradeRejected as error:
        run.refused.append((order.created_at, f"{order.symbol} {order.side.value}: {error}"))
        return
    run.submitted.append(record.order_id)
    run._sent.add(record.order_id)


async def _cancel(desk: PaperDesk, run: PaperRun, order_id: str) -> None:
    record = await desk.broker.get(order_id)
    if not record.order.status.is_terminal:
        await desk.broker.cancel(order_id)
        run.cancels += 1


async def _drive(
    desk: PaperDesk,
    run: PaperRun,
    events: Sequence[MarketEvent],
    orders: Sequence[ScheduledOrder],
    *,
    strategy: Strategy | None,
    options: _Options,
) -> None:
    clock = desk.clock
    end = events[-1].at
    pending = deque(orders)  # taken from the front, once each
    cancels = sorted(
        ((s.cancel_at, s.order.order_id) for s in orders if s.cancel_at is not None),
        key=lambda pair: pair[0],
    )
    wall_start, sim_start = time.monotonic(), clock.now()
    next_tick = clock.now() + options.step
    while True:
        due = [next_tick]
        if pending:
            due.append(pending[0].order.created_at)
        if cancels:
            due.append(cancels[0][0])
        now = max(min(due), clock.now())
        if now > end and not pending and not cancels:
            now = max(end, clock.now())
        with _step_commit(desk, run):
            run.events += desk.run_until(now)
            desk.deliver()
            while pending and pending[0].order.created_at <= now:
                await _place(desk, run, pending.popleft().order)
            while cancels and cancels[0][0] <= now:
                await _cancel(desk, run, cancels.pop(0)[1])
            if now >= next_tick:
                next_tick = now + options.step
                if strategy is not None:
                    await _call(desk, run, strategy, now)
            desk.deliver()
        options.progress(run.events)
        if now >= end and not pending and not cancels:
            break
        if options.stop():
            run.interrupted = True
            break
        if options.speed > 0:
            ahead = (now - sim_start).total_seconds() / options.speed - (
                time.monotonic() - wall_start
            )
            if ahead > 0:
                await asyncio.sleep(ahead)
    run.end = clock.now()


def _step_commit(desk: PaperDesk, run: PaperRun) -> AbstractContextManager[None]:
    """One step's commit: the ledger's batch in step mode, else nothing to group."""
    return desk.ledger.batch() if run.commit is CommitMode.STEP else nullcontext()


async def _call(desk: PaperDesk, run: PaperRun, strategy: Strategy, now: datetime) -> None:
    """Call the strategy at ``now`` and carry out what it queued, in order."""
    step = Step(now, desk.broker, desk.exchange, run._sent)
    await step._prepare()
    returned = strategy(step)
    if inspect.isawaitable(returned):
        await returned
    for action in step._actions:
        if isinstance(action, Order):
            await _place(desk, run, action)
        else:
            await _cancel(desk, run, action)


@dataclass(frozen=True)
class _Options:
    step: timedelta
    speed: float
    progress: Callable[[int], None]
    stop: Callable[[], bool]


def check_inputs(
    events: Sequence[MarketEvent],
    orders: Sequence[ScheduledOrder],
    markets: Mapping[str, Market],
) -> None:
    """Raise ``ValueError`` unless the feed has events and trades only ``markets``, as do
    the orders."""
    if not events:
        raise ValueError("the feed has no events")
    known = ", ".join(sorted(markets))
    for event in events:
        if event.symbol not in markets:
            raise ValueError(
                f"the feed trades {event.symbol}, which is not among the markets ({known})"
            )
    for scheduled in orders:
        if scheduled.order.symbol not in markets:
            raise ValueError(
                f"orders CSV line {scheduled.line}: {scheduled.order.symbol} is not among "
                f"the markets ({known})"
            )


def run_paper(
    feed: Iterable[MarketEvent],
    ledger_url: str,
    *,
    orders: Sequence[ScheduledOrder] = (),
    strategy: Strategy | None = None,
    account: str = "paper",
    markets: Iterable[Market] = DEFAULT_MARKETS,
    deposits: Mapping[str, Decimal] | None = None,
    speed: float = 0.0,
    step: timedelta = timedelta(seconds=1),
    seed: int = 0,
    progress: Callable[[int], None] = lambda _: None,
    stop: Callable[[], bool] = lambda: False,
    commit: CommitMode | str = CommitMode.CHANGE,
) -> PaperRun:
    """Replay ``feed`` through a PaperExchange with ``orders`` and/or ``strategy``.

    ``speed`` paces the replay at that many times real time (0: as fast as the CPU allows).
    ``deposits`` default to 1,000,000 of every quote asset and 100 of every base asset
    (:func:`~orderdesk.app.generous_deposits`). ``commit``: ``"change"`` commits every
    ledger change on its own, ``"step"`` every simulated step at once (see the module's
    docstring: a crash then loses at most the step in progress).
    """
    try:
        mode = CommitMode(commit)
    except ValueError:
        known = ", ".join(m.value for m in CommitMode)
        raise ValueError(f"commit {commit!r} is not one of {known}") from None
    if speed < 0:
        raise ValueError("speed cannot be negative")
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    by_symbol = {market.symbol: market for market in markets}
    events = list(feed)
    check_inputs(events, orders, by_symbol)
    start = min(events[0].at, *(s.order.created_at for s in orders)) if orders else events[0].at
    desk = paper_desk(
        ledger_url,
        account=account,
        markets=by_symbol.values(),
        deposits=deposits,
        seed=seed,
        start=start,
        feed=events,
    )
    batching = mode is CommitMode.STEP and isinstance(desk.ledger.store, Batching)
    run = PaperRun(
        account,
        desk.ledger,
        start=start,
        alarms=desk.broker.alarms,
        exchange=desk.exchange,
        commit=CommitMode.STEP if batching else CommitMode.CHANGE,
    )
    options = _Options(step, speed, progress, stop)
    asyncio.run(_drive(desk, run, events, orders, strategy=strategy, options=options))
    return run
