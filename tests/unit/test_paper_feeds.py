"""Market data: CSV quotes, trades and bars; the synthetic walk; replay on a manual clock."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest

from orderdesk.clocks import SystemClock
from orderdesk.model import OrderStatus
from orderdesk.venues.paper import (
    MarketEvent,
    PaperExchange,
    Quote,
    Replay,
    SyntheticFeed,
    Trade,
    read_csv,
    run_realtime,
)
from tests.unit.paper_setup import BTC_USDT, FUNDS, START, D, order, venue

MARKETS = {"BTC_USDT": BTC_USDT}


def test_quotes_csv_becomes_one_level_quotes() -> None:
    text = (
        "time,symbol,bid_price,bid_quantity,ask_price,ask_quantity\n"
        "2025-12-01T15:00:00Z,BTC_USDT,99.00,1.5,99.02,2\n"
        "1764601201000,BTC_USDT,99.01,1,99.03,1\n"
    )

    events = list(read_csv(io.StringIO(text)))

    assert events == [
        Quote(START, "BTC_USDT", ((D("99.00"), D("1.5")),), ((D("99.02"), D("2")),)),
        Quote(
            START + timedelta(seconds=1),
            "BTC_USDT",
            ((D("99.01"), D("1")),),
            ((D("99.03"), D("1")),),
        ),
    ]


def test_trades_csv_becomes_trade_prints() -> None:
    text = "time,symbol,price,quantity\n2025-12-01T15:00:00+00:00,BTC_USDT,99.50,0.25\n"

    assert list(read_csv(io.StringIO(text))) == [Trade(START, "BTC_USDT", D("99.50"), D("0.25"))]


def test_a_rising_bar_visits_open_low_high_close_with_a_quarter_of_the_volume_each() -> None:
    text = (
        "time,symbol,open,high,low,close,volume\n2025-12-01T15:00:00Z,BTC_USDT,100,103,99,102,1\n"
    )

    events = list(read_csv(io.StringIO(text), markets=MARKETS, bar_interval=timedelta(minutes=1)))

    trades = [(e.at - START, e.price, e.quantity) for e in events if isinstance(e, Trade)]
    assert trades == [
        (timedelta(0), D("100"), D("0.250")),
        (timedelta(seconds=15), D("99"), D("0.250")),
        (timedelta(seconds=30), D("103"), D("0.250")),
        (timedelta(seconds=45), D("102"), D("0.250")),
    ]
    first_quote = events[0]
    assert isinstance(first_quote, Quote)
    assert (first_quote.bids[0][0], first_quote.asks[0][0]) == (D("99.99"), D("100.01"))


@pytest.mark.parametrize(
    "text",
    [
        "time,symbol,price,quantity\n2025-12-01T15:00:00Z,BTC_USDT,1e2,1\n",
        "time,symbol,price,quantity\n2025-12-01T15:00:00Z,BTC_USDT,99.5,-1\n",
        "time,symbol,price,quantity\n2025-12-01T15:00:00,BTC_USDT,99.5,1\n",
        "time,symbol,price,quantity\n2025-12-01T15:00:00Z,BTC_USDT,99.5\n",
        "when,what\n",
    ],
    ids=["exponent", "negative", "naive time", "short row", "unknown header"],
)
def test_malformed_csv_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        list(read_csv(io.StringIO(text), markets=MARKETS))


def test_synthetic_feed_repeats_with_its_seed_and_keeps_prices_on_the_tick() -> None:
    seed = 42
    print(f"seed={seed}")

    def events() -> list[object]:
        feed = SyntheticFeed(BTC_USDT, seed=seed, start=START, mid=D("100"))
        return list(feed.events(500))

    first = events()
    quotes = [e for e in first if isinstance(e, Quote)]
    assert first == events()
    assert len(quotes) == 500
    for quote in quotes:
        assert quote.bids[0][0] < quote.asks[0][0]
        assert all(price % BTC_USDT.tick_size == 0 for price, _ in quote.bids + quote.asks)


def test_replay_moves_the_clock_to_each_event_and_fills_resting_orders() -> None:
    exchange, clock = venue()
    events: list[MarketEvent] = [
        Quote(
            START + timedelta(seconds=1), "BTC_USDT", ((D("99"), D("1")),), ((D("101"), D("1")),)
        ),
        Trade(START + timedelta(seconds=2), "BTC_USDT", D("98"), D("1")),
    ]
    replay = Replay(exchange, clock, events)
    replay.run_until(START + timedelta(seconds=1))
    exchange.submit("alice", order("l1", "BUY", "1", "99.00"))

    applied = replay.advance(timedelta(seconds=5))

    placed = exchange.query("alice", "BTC_USDT", client_order_id="l1")
    assert placed is not None
    assert (applied, placed.status, clock.now()) == (
        1,
        OrderStatus.FILLED,
        START + timedelta(seconds=6),
    )


def test_realtime_run_feeds_events_on_the_wall_clock() -> None:
    exchange = PaperExchange([BTC_USDT], clock=SystemClock())
    exchange.open_account("alice", FUNDS)
    now = datetime.now(UTC)
    events: list[MarketEvent] = [
        Quote(now, "BTC_USDT", ((D("99"), D("1")),), ((D("101"), D("1")),)),
        Trade(now, "BTC_USDT", D("100"), D("1")),
    ]

    applied = asyncio.run(run_realtime(exchange, events))

    result = exchange.submit("alice", order("m1", "BUY", "1"))
    assert (applied, result.status) == (2, OrderStatus.FILLED)
