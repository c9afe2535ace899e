"""The statistics benchmark's ledger: N orders with their fills, written in bulk to SQLite.

The file is made through the store's own schema (``SqliteStore`` creates it), then filled
with raw ``executemany`` inserts of rows shaped as the store writes them (``ORDER_COLUMNS``,
``FILL_COLUMNS``, canonical decimal text, fixed-width UTC times, each order's statistics
figures computed as the store computes them). Orders are those of one
account over 30 days: three symbols, two venues, MARKET, LIMIT and STOP_LIMIT orders that
end FILLED, CANCELLED (some partly filled), EXPIRED or REJECTED or are still working; one
to three fills each, fees in the quote asset; 2% have no arrival price.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from orderdesk.ledger.stores.columns import FILL_COLUMNS, ORDER_COLUMNS
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.execution_totals import execution_figures
from orderdesk.model.plans import ExecutionGroup

__all__ = ["ACCOUNT", "CACHE", "T0", "ledger_file", "populate"]

ACCOUNT: Final = "bench"
T0: Final = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CACHE: Final = Path(__file__).resolve().parent / ".cache"
"""Where generated ledgers are kept between runs (ignored by git)."""

_GROUP: Final = "EXG_20260105_090000_stats"
_SPAN_US: Final = 30 * 86_400 * 1_000_000
_EPOCH_US: Final = int(T0.timestamp()) * 1_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_BATCH: Final = 20_000
_FORMAT: Final = 4  # bump when the generated data changes: cached files are then remade

# symbol, price tick decimals, quantity step decimals, mid in ticks, quantity range in steps
_SYMBOLS: Final = (
    ("BTC_USDT", 2, 5, 9_500_000, (100, 200_000)),
    ("ETH_USDT", 2, 4, 300_000, (100, 200_000)),
    ("SOL_USDT", 3, 3, 150_000, (100, 500_000)),
)


@lru_cache(maxsize=8192)
def _second_text(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@lru_cache(maxsize=8192)
def _id_stamp(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y%m%d_%H%M%S")


def _time(us: int) -> str:
    """The store's text for the time ``us`` microseconds after the epoch."""
    second, micro = divmod(us, 1_000_000)
    return f"{_second_text(second)}.{micro:06d}+00:00"


def _fixed(value: int, places: int) -> str:
    """Canonical decimal text of ``value`` x 10**-places (scale kept, as ``format(d, 'f')``)."""
    if places == 0:
        return str(value)
    whole, part = divmod(value, 10**places)
    return f"{whole}.{part:0{places}d}"


_ORDER_INSERT: Final = (
    f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(ORDER_COLUMNS))})"
)
_FILL_INSERT: Final = (
    f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) VALUES ({', '.join('?' * len(FILL_COLUMNS))})"
)

Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _status(rng: random.Random, kind: str) -> str:
    roll = rng.random()
    if kind == "MARKET":
        return "FILLED" if roll < 0.95 else "REJECTED"
    if roll < 0.60:
        return "FILLED"
    if roll < 0.85:
        return "CANCELLED"
    if roll < 0.90:
        return "EXPIRED"
    if roll < 0.93:
        return "REJECTED"
    return "OPEN" if roll < 0.97 else "PARTIALLY_FILLED"


def _orders(count: int, seed: int) -> Iterator[Rows]:
    """Yield batches of (order rows, fill rows) for ``count`` orders."""
    rng = random.Random(seed)
    spacing = _SPAN_US // max(count, 1)
    orders: list[tuple[Any, ...]] = []
    fills: list[tuple[Any, ...]] = []
    trade = 0
    for n in range(count):
        created = _EPOCH_US + n * spacing + rng.randrange(spacing or 1)
        symbol, tick, step, mid0, (qmin, qmax) = _SYMBOLS[n % 3]
        venue = "paper" if n % 10 else "loopback"
        side = "BUY" if rng.random() < 0.5 else "SELL"
        sign = 1 if side == "BUY" else -1
        roll = rng.random()
        kind = "MARKET" if roll < 0.4 else "LIMIT" if roll < 0.9 else "STOP_LIMIT"
        status = _status(rng, kind)
        quantity = rng.randint(qmin, qmax)
        mid = mid0 + rng.randint(-mid0 // 20, mid0 // 20)
        # The arrival price is the mid quote: half a tick finer than the book.
        arrival = None if rng.random() < 0.02 else _fixed(mid * 10 + rng.choice((0, 5)), tick + 1)
        price = None if kind == "MARKET" else _fixed(mid - sign * rng.randint(0, 20), tick)
        stop = _fixed(mid + sign * rng.randint(1, 20), tick) if kind == "STOP_LIMIT" else None
        sent = created + rng.randint(200, 2_000)
        acked = None if status == "REJECTED" else sent + rng.randint(5_000, 80_000)
        if status == "FILLED":
            pieces = rng.choice((1, 1, 1, 2, 2, 3))
        elif status in ("PARTIALLY_FILLED", "CANCELLED", "EXPIRED") and rng.random() < 0.3:
            pieces = rng.choice((1, 1, 2))
        else:
            pieces = 0
        bounds: list[int] = []
        if pieces:
            total = quantity if status == "FILLED" else rng.randint(1, quantity - 1)
            pieces = min(pieces, total)
            bounds = [0, *sorted(rng.sample(range(1, total), pieces - 1)), total]
        order_id = f"ORD_{_id_stamp(created // 1_000_000)}_{n:08x}"
        filled = notional = fee_total = 0
        first = last = None
        at = acked or sent
        for piece in range(len(bounds) - 1):
            qty = bounds[piece + 1] - bounds[piece]
            fill_price = mid + sign * rng.randint(-3, 12)
            at += rng.randint(1_000, 30_000_000 if kind != "MARKET" else 200_000)
            trade += 1
            fee = qty * fill_price  # 10 bps of the notional, in the quote asset
            fills.append((
                f"FIL_{_id_stamp(at // 1_000_000)}_{trade:08x}", order_id, venue, symbol,
                f"T{trade}", _fixed(qty, step), _fixed(fill_price, tick),
                _fixed(fee, step + tick + 3),
                "USDT", "TAKER" if kind == "MARKET" else "MAKER", _time(at), side, ACCOUNT,
            ))  # fmt: skip
            filled += qty
            notional += qty * fill_price
            fee_total += fee
            first = first if first is not None else at
            last = at
        updated = max(created, acked or 0, last or 0) + 1
        terminal = status in ("FILLED", "CANCELLED", "EXPIRED", "REJECTED")
        filled_text = _fixed(filled, step) if filled else "0"
        notional_text = _fixed(notional, step + tick) if notional else "0"
        figures = execution_figures(
            side,
            status,
            arrival=None if arrival is None else Decimal(arrival),
            filled=Decimal(filled_text),
            notional=Decimal(notional_text),
            submitted=_EPOCH + timedelta(microseconds=sent),
            last_fill=None if last is None else _EPOCH + timedelta(microseconds=last),
        )
        orders.append((
            order_id, ACCOUNT, venue, f"c{n}", _GROUP, None, None if acked is None else f"V{n}",
            symbol, side, kind, _fixed(quantity, step), price, stop, status, _time(created),
            _time(updated), "GTC", None, "ACKED" if acked else "SENT", None, 3 + len(bounds),
            filled_text, notional_text, max(len(bounds) - 1, 0),
            arrival, _time(sent), None if acked is None else _time(acked),
            None if first is None else _time(first), _time(updated) if terminal else None,
            None if last is None else _time(last), *figures,
        ))  # fmt: skip
        if len(orders) >= _BATCH:
            yield orders, fills
            orders, fills = [], []
    if orders:
        yield orders, fills


def populate(
    path: Path, count: int, seed: int = 6, progress: Callable[[int], None] | None = None
) -> None:
    """Write a fresh ledger of ``count`` orders with their fills to ``path``."""
    store = SqliteStore(path, synchronous="NORMAL")  # the store's own schema
    with store.transaction() as tx:
        tx.insert_group(
            ExecutionGroup(group_id=_GROUP, account=ACCOUNT, strategy="bench", symbol="BTC_USDT",
                           side="BUY", created_at=T0)
        )  # fmt: skip
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    done = 0
    for orders, fills in _orders(count, seed):
        db.executemany(_ORDER_INSERT, orders)
        db.executemany(_FILL_INSERT, fills)
        done += len(orders)
        if progress is not None:
            progress(done)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def ledger_file(count: int, *, cache: Path = CACHE, quiet: bool = False) -> Path:
    """Return a SQLite ledger of ``count`` orders, generating it once and keeping it."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"stats-{count}-v{_FORMAT}.db"
    if path.exists():
        return path
    partial = path.with_name(path.name + ".part")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if not quiet:
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"\rgenerating {path.name}: {done:,}/{count:,} orders ({rate:,.0f}/s)",
                  end="", file=sys.stderr, flush=True)  # fmt: skip

    populate(partial, count, progress=progress)
    if not quiet:
        print(file=sys.stderr)
    partial.rename(path)
    return path
