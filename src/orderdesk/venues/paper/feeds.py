"""Market data for the paper venue: quotes, trades and bars from CSV, or a seeded generator.

Three CSV layouts are read, told apart by their header:

* quotes: ``time,symbol,bid_price,bid_quantity,ask_price,ask_quantity``
* trades: ``time,symbol,price,quantity``
* bars:   ``time,symbol,open,high,low,close,volume`` (``time`` is the bar's open)

``time`` is ISO 8601 with a UTC offset (``2025-12-01T15:00:00Z``) or epoch milliseconds;
decimals are strict (no floats, exponents or signs). A bar becomes four points inside its
interval, open, the nearer extreme, the farther one and close, each a one-level quote
``spread_ticks`` either side and a trade of a quarter of the volume.

:class:`SyntheticFeed` is a random walk with a spread and depth, seeded so that the same
seed gives the same events. :class:`Replay` drives an exchange through events on a
:class:`~orderdesk.clocks.ManualClock` as fast as the CPU allows; :func:`run_realtime`
paces them on the wall clock for paper trading.
"""

from __future__ import annotations

import asyncio
import csv
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import TextIO

from orderdesk.clocks import ManualClock
from orderdesk.model import Market
from orderdesk.model.decimals import parse_positive
from orderdesk.model.timestamps import require_utc
from orderdesk.venues.paper.exchange import PaperExchange

__all__ = [
    "Bar",
    "MarketEvent",
    "Quote",
    "Replay",
    "SyntheticFeed",
    "Trade",
    "apply_event",
    "bar_events",
    "read_csv",
    "run_realtime",
]

Level = tuple[Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Quote:
    """The depth of one symbol at one time, best levels first."""

    at: datetime
    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


@dataclass(frozen=True, slots=True)
class Trade:
    """A trade printed by the market."""

    at: datetime
    symbol: str
    price: Decimal
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Bar:
    """An OHLCV bar starting at ``at``."""

    at: datetime
    symbol: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


MarketEvent = Quote | Trade


def apply_event(exchange: PaperExchange, event: MarketEvent) -> None:
    """Hand one market event to ``exchange``."""
    if type(event) is Quote:
        exchange.on_quote(event.symbol, event.bids, event.asks)
    else:
        assert isinstance(event, Trade)
        exchange.on_trade(event.symbol, event.price, event.quantity)


# -- CSV -----------------------------------------------------------------------------------

_QUOTES = ["time", "symbol", "bid_price", "bid_quantity", "ask_price", "ask_quantity"]
_TRADES = ["time", "symbol", "price", "quantity"]
_BARS = ["time", "symbol", "open", "high", "low", "close", "volume"]


def _time(text: str) -> datetime:
    if text.isascii() and text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is UTC else require_utc(value)


_KNOWN_TEXTS = 100_000
"""How many distinct decimal texts one read remembers parsed (prices and sizes repeat)."""


def _decimals() -> Callable[[str], Decimal]:
    """Return :func:`parse_positive` for text, remembering the texts it parsed."""
    known: dict[str, Decimal] = {}

    def parse(text: str) -> Decimal:
        value = known.get(text)
        if value is None:
            value = parse_positive(text)
            if len(known) < _KNOWN_TEXTS:
                known[text] = value
        return value

    return parse


class _QuoteParts:
    __slots__ = Quote.__slots__
    at: datetime
    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


if tuple(f.name for f in fields(Quote)) != _QuoteParts.__slots__:
    raise TypeError("Quote's fields changed: update _QuoteParts")


def _quote(at: datetime, symbol: str, bids: tuple[Level, ...], asks: tuple[Level, ...]) -> Quote:
    """Return ``Quote(at, symbol, bids, asks)``, built as the venue builds its reports (see
    :mod:`orderdesk.venues.paper.values`): a CSV of quotes makes millions of them."""
    quote = object.__new__(_QuoteParts)
    quote.at = at
    quote.symbol = symbol
    quote.bids = bids
    quote.asks = asks
    object.__setattr__(quote, "__class__", Quote)
    return quote  # type: ignore[return-value]


def read_csv(
    source: str | Path | TextIO,
    *,
    markets: Mapping[str, Market] | None = None,
    bar_interval: timedelta = timedelta(minutes=1),
    spread_ticks: int = 1,
) -> Iterator[MarketEvent]:
    """Yield the market events of a quotes, trades or bars CSV (bars need ``markets``)."""
    if isinstance(source, str | Path):
        with Path(source).open(newline="", encoding="ascii") as handle:
            yield from read_csv(
                handle, markets=markets, bar_interval=bar_interval, spread_ticks=spread_ticks
            )
        return
    rows = csv.reader(source)
    header = next(rows, None)
    if header == _QUOTES:
        number = _decimals()
        for line, row in enumerate(rows, start=2):
            if len(row) != 6:
                _fields(row, 6, line)
            t, symbol, bp, bq, ap, aq = row
            at = _time(t)
            bid = number(bp), number(bq)
            yield _quote(at, symbol, (bid,), ((number(ap), number(aq)),))
    elif header == _TRADES:
        number = _decimals()
        for line, row in enumerate(rows, start=2):
            t, symbol, price, quantity = _fields(row, 4, line)
            yield Trade(_time(t), symbol, number(price), number(quantity))
    elif header == _BARS:
        if markets is None:
            raise ValueError("reading bars needs the markets (for tick and step sizes)")
        for line, row in enumerate(rows, start=2):
            t, symbol, o, h, low, c, v = _fields(row, 7, line)
            bar = Bar(
                _time(t),
                symbol,
                parse_positive(o),
                parse_positive(h),
                parse_positive(low),
                parse_positive(c),
                parse_positive(v),
            )
            yield from bar_events(bar, markets[symbol], bar_interval, spread_ticks)
    else:
        raise ValueError(f"unknown CSV header {header!r}; expected {_QUOTES}, {_TRADES} or {_BARS}")


def _fields(row: list[str], count: int, line: int) -> list[str]:
    if len(row) != count:
        raise ValueError(f"CSV line {line}: expected {count} fields, got {len(row)}")
    return row


def bar_events(
    bar: Bar, market: Market, interval: timedelta, spread_ticks: int = 1
) -> Iterator[MarketEvent]:
    """Yield a bar as four quote-and-trade points: open, extremes in likely order, close."""
    if bar.close >= bar.open:
        path = (bar.open, bar.low, bar.high, bar.close)
    else:
        path = (bar.open, bar.high, bar.low, bar.close)
    quarter = (bar.volume / 4).quantize(market.step_size, rounding=ROUND_DOWN)
    last = bar.volume - 3 * quarter
    half = market.tick_size * spread_ticks
    for i, price in enumerate(path):
        at = bar.at + interval * i / 4
        quantity = last if i == 3 else quarter
        depth = quantity if quantity > 0 else market.step_size
        bids = ((price - half, depth),) if price - half > 0 else ()
        yield Quote(at, bar.symbol, bids, ((price + half, depth),))
        if quantity > 0:
            yield Trade(at, bar.symbol, price, quantity)


# -- synthetic -----------------------------------------------------------------------------


class SyntheticFeed:
    """A seeded random walk of the best bid, with a spread, depth and trade prints."""

    __slots__ = (
        "_at",
        "_bid",
        "_interval",
        "_levels",
        "_market",
        "_rng",
        "_sizes",
        "_spread",
        "_trade_probability",
        "_volatility",
    )

    def __init__(
        self,
        market: Market,
        *,
        seed: int,
        start: datetime,
        mid: Decimal,
        interval: timedelta = timedelta(milliseconds=100),
        spread_ticks: int = 2,
        levels: int = 5,
        level_steps: tuple[int, int] = (1, 100),
        volatility_ticks: int = 2,
        trade_probability: float = 0.3,
    ) -> None:
        if spread_ticks < 1 or levels < 1 or level_steps[0] < 1:
            raise ValueError("spread, levels and level sizes must be at least 1")
        self._market = market
        self._rng = random.Random(seed)
        self._at = require_utc(start)
        self._interval = interval
        self._bid = int(mid / market.tick_size)
        self._spread = spread_ticks
        self._levels = levels
        self._sizes = level_steps
        self._volatility = volatility_ticks
        self._trade_probability = trade_probability

    def events(self, steps: int) -> Iterator[MarketEvent]:
        """Yield ``steps`` steps of the walk: a quote each, and sometimes a trade."""
        market, rng = self._market, self._rng
        tick, step = market.tick_size, market.step_size
        lo, hi = self._sizes
        floor = self._levels + 1
        for _ in range(steps):
            self._at += self._interval
            self._bid = max(floor, self._bid + rng.randint(-self._volatility, self._volatility))
            bid, ask = self._bid, self._bid + self._spread
            bids = tuple(
                (tick * (bid - k), step * rng.randint(lo, hi)) for k in range(self._levels)
            )
            asks = tuple(
                (tick * (ask + k), step * rng.randint(lo, hi)) for k in range(self._levels)
            )
            yield Quote(self._at, market.symbol, bids, asks)
            if rng.random() < self._trade_probability:
                price = tick * (ask if rng.random() < 0.5 else bid)
                yield Trade(self._at, market.symbol, price, step * rng.randint(lo, hi))


# -- driving an exchange -------------------------------------------------------------------


class Replay:
    """Feed ``events`` to ``exchange`` on a manual clock, as fast as the CPU allows."""

    __slots__ = ("_clock", "_events", "_exchange", "_next")

    def __init__(
        self, exchange: PaperExchange, clock: ManualClock, events: Iterable[MarketEvent]
    ) -> None:
        self._exchange = exchange
        self._clock = clock
        self._events = iter(events)
        self._next: MarketEvent | None = None

    def run_until(self, until: datetime | None) -> int:
        """Apply every event up to ``until`` (all if ``None``), move the clock there.

        Returns the number of events applied.
        """
        clock, exchange, count = self._clock, self._exchange, 0
        while True:
            event = self._next if self._next is not None else next(self._events, None)
            if event is None or (until is not None and event.at > until):
                self._next = event
                break
            self._next = None
            if event.at > clock.now():
                clock.set(event.at)
            apply_event(exchange, event)
            count += 1
        if until is not None and until > clock.now():
            clock.set(until)
        exchange.advance()
        return count

    def advance(self, delta: timedelta) -> int:
        """Run for ``delta`` of simulated time; return the number of events applied."""
        return self.run_until(self._clock.now() + delta)

    def run(self) -> int:
        """Apply every remaining event; return the count."""
        return self.run_until(None)


async def run_realtime(
    exchange: PaperExchange,
    events: Iterable[MarketEvent],
    *,
    poll: timedelta = timedelta(milliseconds=10),
) -> int:
    """Feed ``events`` at their own times on the exchange's (wall) clock; return the count."""
    clock, count = exchange.clock, 0
    for event in events:
        while (wait := event.at - clock.now()) > timedelta(0):
            await asyncio.sleep(min(wait, poll).total_seconds())
            exchange.advance()  # release reports whose latency has passed
        apply_event(exchange, event)
        count += 1
    return count
