"""The inputs of ``python -m bench.paper_run``: a quotes CSV and an orders CSV, seeded.

Dependency-free on purpose: the orderdesk side and the peers' environment both import it.
Both files are in the layouts ``orderdesk paper run`` reads (see
:mod:`orderdesk.venues.paper.feeds` and :mod:`orderdesk.paper_run`):

* quotes: ``time,symbol,bid_price,bid_quantity,ask_price,ask_quantity``, one BTC_USDT quote
  every 100 ms from 2025-12-01T00:00:00Z, a random walk of the mid around 95,000.00 (0 to 3
  cents a step), 1 cent either side, 1 BTC deep;
* orders: ``time,symbol,side,order_type,quantity,price,cancel_at``, spread evenly over the
  feed, each 50 ms after a quote; 0.001 BTC each, seeded random side; 60% MARKET, 40% LIMIT
  at the touch or up to 3 cents behind it, a quarter of those with a ``cancel_at`` 30 s on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["QUANTITY", "START", "SYMBOL", "Inputs", "write_inputs"]

START = datetime(2025, 12, 1, tzinfo=UTC)
SYMBOL = "BTC_USDT"
QUANTITY = "0.001"
DEPTH = "1.00000"
INTERVAL = timedelta(milliseconds=100)
CANCEL_AFTER = timedelta(seconds=30)
QUOTE_HEADER = "time,symbol,bid_price,bid_quantity,ask_price,ask_quantity"
ORDER_HEADER = "time,symbol,side,order_type,quantity,price,cancel_at"


@dataclass(frozen=True)
class Inputs:
    """Where the two CSV files are and what they hold."""

    quotes_csv: Path
    orders_csv: Path
    quotes: int
    orders: int
    market_orders: int
    limit_orders: int
    cancels: int


def _cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def write_inputs(directory: Path, quotes: int, orders: int, seed: int = 1) -> Inputs:
    """Write ``quotes.csv`` and ``orders.csv`` into ``directory``; return what they hold."""
    if quotes < 1 or not 0 < orders <= quotes:
        raise ValueError("need at least one quote and between 1 and `quotes` orders")
    rng = random.Random(seed)
    mid = 9_500_000  # cents
    bids: list[int] = []
    quote_path = directory / "quotes.csv"
    with quote_path.open("w", encoding="ascii", newline="") as out:
        out.write(QUOTE_HEADER + "\n")
        lines = []
        for n in range(quotes):
            mid += rng.randint(-3, 3)
            bids.append(mid - 1)
            stamp = _iso(START + INTERVAL * n)
            lines.append(f"{stamp},{SYMBOL},{_cents(mid - 1)},{DEPTH},{_cents(mid + 1)},{DEPTH}\n")
            if len(lines) >= 10_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
    every = quotes / orders
    market = limit = cancels = 0
    order_path = directory / "orders.csv"
    with order_path.open("w", encoding="ascii", newline="") as out:
        out.write(ORDER_HEADER + "\n")
        for k in range(orders):
            n = int(k * every)
            at = START + INTERVAL * n + INTERVAL / 2
            side = "BUY" if rng.random() < 0.5 else "SELL"
            if rng.random() < 0.6:
                market += 1
                out.write(f"{_iso(at)},{SYMBOL},{side},MARKET,{QUANTITY},,\n")
                continue
            limit += 1
            behind = rng.randint(0, 3)
            bid = bids[n]
            price = bid - behind if side == "BUY" else bid + 2 + behind
            cancel_at = ""
            if rng.random() < 0.25:
                cancels += 1
                cancel_at = _iso(at + CANCEL_AFTER)
            out.write(f"{_iso(at)},{SYMBOL},{side},LIMIT,{QUANTITY},{_cents(price)},{cancel_at}\n")
    return Inputs(quote_path, order_path, quotes, orders, market, limit, cancels)
