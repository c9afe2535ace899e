"""PaperExchange throughput: orders matched and reports produced per second.

Run ``python -m bench.venue [--orders N] [--seed S] [--repeat R]`` (best of R runs). Every
figure is printed beside the bare-loop floor measured in the same run (a slotted record
created, indexed and appended per order, the least any venue must do) and as a ratio to it.

Mixes, each on the seeded synthetic feed (one quote every 10 orders, a trade print with
probability 0.3 per quote):

* market: market orders of random side and size walking the depth;
* limit: limit orders within 10 ticks of the best bid and ask, resting until the feed crosses
  them; one in five is cancelled;
* limit via connector: the limit mix through the async ``PaperConnector`` (one await per call).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench.timing import machine_line
from orderdesk.clocks import ManualClock
from orderdesk.model import Market, OrderType, Side, SubmitRequest, TimeInForce
from orderdesk.venues.paper import (
    PaperConnector,
    PaperExchange,
    Quote,
    SyntheticFeed,
    apply_event,
)
from orderdesk.venues.paper.feeds import MarketEvent

START = datetime(2025, 12, 1, tzinfo=UTC)
MARKET = Market(
    symbol="BTC_USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=Decimal("0.01"),
    step_size=Decimal("0.001"),
    min_quantity=Decimal("0.001"),
    min_notional=Decimal("0"),
)
QUOTE_EVERY = 10


@dataclass(slots=True)
class _Record:
    order_id: int
    quantity: Decimal
    price: Decimal | None


def floor(requests: list[SubmitRequest]) -> float:
    """Seconds for the bare loop: one slotted record per order, indexed and kept."""
    index: dict[int, _Record] = {}
    kept: list[_Record] = []
    began = time.perf_counter()
    for n, request in enumerate(requests):
        record = _Record(n, request.quantity, request.price)
        index[n] = record
        kept.append(record)
    return time.perf_counter() - began


def requests_for(mix: str, count: int, seed: int) -> list[SubmitRequest]:
    """Return ``count`` seeded requests of the ``market`` or ``limit`` mix."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        quantity = MARKET.step_size * rng.randint(1, 200)
        if mix == "market":
            out.append(SubmitRequest(f"c{n}", MARKET.symbol, side, OrderType.MARKET, quantity))
        else:
            offset = rng.randint(-10, 10)
            out.append(
                SubmitRequest(
                    f"c{n}",
                    MARKET.symbol,
                    side,
                    OrderType.LIMIT,
                    quantity,
                    price=Decimal(10_000 + offset) * MARKET.tick_size,  # placeholder, re-priced
                    time_in_force=TimeInForce.GTC,
                )
            )
    return out


def build(seed: int, count: int) -> tuple[PaperExchange, ManualClock, list[MarketEvent]]:
    clock = ManualClock(START)
    exchange = PaperExchange([MARKET], clock=clock, seed=seed)
    big = Decimal(10**12)
    exchange.open_account("bench", {"BTC": big, "USDT": big})
    feed = SyntheticFeed(MARKET, seed=seed, start=START, mid=Decimal("100.00"))
    events = list(feed.events(count // QUOTE_EVERY + 2))
    return exchange, clock, events


def reprice(requests: list[SubmitRequest], events: list[MarketEvent]) -> list[SubmitRequest]:
    """Anchor each limit price to the quote it meets, so orders rest near the touch."""
    quotes = [e for e in events if isinstance(e, Quote)]
    out = []
    for n, request in enumerate(requests):
        if request.price is None:
            out.append(request)
            continue
        quote = quotes[n // QUOTE_EVERY]
        best_bid = quote.bids[0][0]
        offset = request.price - Decimal("100.00")
        out.append(
            SubmitRequest(
                request.client_order_id,
                request.symbol,
                request.side,
                request.order_type,
                request.quantity,
                price=best_bid + offset,
                time_in_force=request.time_in_force,
            )
        )
    return out


def run_sync(mix: str, count: int, seed: int) -> tuple[float, int, int]:
    """Return (seconds, orders, reports) for ``mix`` driven synchronously."""
    exchange, clock, events = build(seed, count)
    requests = reprice(requests_for(mix, count, seed), events)
    step = timedelta(milliseconds=10)
    feed = iter(events)
    reports = 0
    cancel_every = 5 if mix == "limit" else 0
    gc.collect()
    gc.freeze()
    began = time.perf_counter()
    for n, request in enumerate(requests):
        if n % QUOTE_EVERY == 0:
            clock.advance(step)
            event = next(feed)
            while True:
                apply_event(exchange, event)
                if isinstance(event, Quote):
                    break
                event = next(feed)
            reports += len(exchange.take_reports("bench"))
        result = exchange.submit("bench", request)
        if cancel_every and n % cancel_every == 0 and result.venue_order_id is not None:
            exchange.cancel("bench", MARKET.symbol, venue_order_id=result.venue_order_id)
    reports += len(exchange.take_reports("bench"))
    elapsed = time.perf_counter() - began
    gc.unfreeze()
    return elapsed, count, reports


def run_connector(count: int, seed: int) -> tuple[float, int, int]:
    """Return (seconds, orders, reports) for the limit mix through the async connector."""
    exchange, clock, events = build(seed, count)
    requests = reprice(requests_for("limit", count, seed), events)
    connector = PaperConnector(exchange, "bench")
    step = timedelta(milliseconds=10)

    async def main() -> tuple[float, int]:
        feed = iter(events)
        reports = 0
        began = time.perf_counter()
        for n, request in enumerate(requests):
            if n % QUOTE_EVERY == 0:
                clock.advance(step)
                event = next(feed)
                while True:
                    apply_event(exchange, event)
                    if isinstance(event, Quote):
                        break
                    event = next(feed)
                reports += len(connector.drain_reports())
            result = await connector.submit(request)
            if n % 5 == 0 and result.venue_order_id is not None:
                await connector.cancel(MARKET.symbol, venue_order_id=result.venue_order_id)
        reports += len(connector.drain_reports())
        return time.perf_counter() - began, reports

    gc.collect()
    gc.freeze()
    elapsed, reports = asyncio.run(main())
    gc.unfreeze()
    return elapsed, count, reports


def main(argv: list[str] | None = None) -> int:
    """Run every mix once and print figures beside the floor, with ratios."""
    parser = argparse.ArgumentParser(prog="python -m bench.venue")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    count, seed, repeat = args.orders, args.seed, args.repeat
    print(
        f"PaperExchange benchmark: {count:,} orders per mix, seed {seed}, best of {repeat} "
        f"({machine_line()})"
    )
    floor_requests = requests_for("limit", count, seed)
    floor_seconds = min(floor(floor_requests) for _ in range(repeat))
    floor_rate = count / floor_seconds
    print(f"{'mix':<22}{'orders/s':>12}{'reports/s':>12}{'us/order':>10}{'floor/x':>10}")
    print(f"{'bare-loop floor':<22}{floor_rate:>12,.0f}{'-':>12}{1e6 / floor_rate:>10.2f}{1:>10}")
    runs: list[tuple[str, Callable[[], tuple[float, int, int]]]] = [
        ("market", lambda: run_sync("market", count, seed)),
        ("limit (+20% cancels)", lambda: run_sync("limit", count, seed)),
        ("limit via connector", lambda: run_connector(count, seed)),
    ]
    for name, run in runs:
        seconds, orders, reports = min(run() for _ in range(repeat))
        rate = orders / seconds
        print(
            f"{name:<22}{rate:>12,.0f}{reports / seconds:>12,.0f}"
            f"{1e6 / rate:>10.2f}{floor_rate / rate:>10.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
