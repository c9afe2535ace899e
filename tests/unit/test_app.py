"""The composition root builds every desk: paper, demo, paper run, live."""

from __future__ import annotations

import asyncio
import gc
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from pydantic import SecretStr

from orderdesk import LedgerMissing, Market, Order, OrderStatus
from orderdesk.app import (
    DEFAULT_MARKETS,
    demo,
    demo_desk,
    generous_deposits,
    live,
    live_desk,
    open_ledger,
    paper_broker,
    paper_desk,
    paper_exchange,
    read_feed,
    tune_gc,
)
from orderdesk.app.demo import own_account
from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.venues.loopback import LoopbackConnector
from orderdesk.venues.paper import Faults, Quote


def test_a_paper_broker_trades_and_keeps_its_ledger_in_sqlite(tmp_path: Path) -> None:
    broker, venue = paper_broker(f"sqlite:///{tmp_path / 'desk.db'}", account="alice")
    venue.on_quote("BTC_USDT", [(D("94999.99"), D("5"))], [(D("95000.01"), D("5"))])
    now = datetime.now(UTC)
    with broker:
        record = broker.submit(
            Order(
                parent_group_id="EXG_20251201_145955_xyz789", symbol="BTC_USDT", side="BUY",
                order_type="MARKET", quantity="0.1", created_at=now, updated_at=now,
            )
        )  # fmt: skip
        assert (record.order.status, record.arrival_price) == (OrderStatus.FILLED, D("95000.00"))
        assert broker.load(status="CLOSED") == [broker.get(record.order_id).order]


def test_tune_gc_freezes_the_start_up_heap_and_raises_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_gc(young=50_000)
        assert gc.get_threshold() == (50_000, 50, 1_000)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


# --- every desk is built here -----------------------------------------------------------------

T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
ETH_BTC = Market(
    symbol="ETH_BTC", base_asset="ETH", quote_asset="BTC", tick_size=D("0.00001"),
    step_size=D("0.001"), min_quantity=D("0.001"), min_notional=D("0.0001"),
)  # fmt: skip


def _quote(seconds: int, bid: str, ask: str) -> Quote:
    return Quote(T0 + timedelta(seconds=seconds), "BTC_USDT", ((D(bid), D(5)),), ((D(ask), D(5)),))


def _limit(at: datetime, price: str) -> Order:
    return Order(
        parent_group_id="EXG_20251201_145955_xyz789", symbol="BTC_USDT", side="BUY",
        order_type="LIMIT", quantity="0.1", price=price, created_at=at, updated_at=at,
    )  # fmt: skip


def test_generous_deposits_give_every_quote_asset_a_million_and_every_other_asset_100() -> None:
    assert generous_deposits([DEFAULT_MARKETS[0], ETH_BTC]) == {
        "USDT": D(1_000_000), "BTC": D(1_000_000), "ETH": D(100)
    }  # fmt: skip
    plenty = generous_deposits(DEFAULT_MARKETS)
    assert plenty == {"USDT": D(1_000_000), "BTC": D(100), "ETH": D(100)}


def test_a_paper_exchange_opens_every_account_with_its_deposits_and_faults() -> None:
    faults = Faults(drop_reply=0.5)
    exchange = paper_exchange(
        clock=ManualClock(T0), accounts={"a": {"USDT": D(7)}, "b": {"BTC": D(2)}}, faults=faults
    )
    assert sorted(exchange.markets) == ["BTC_USDT", "ETH_USDT"]
    assert [(b.asset, b.free) for b in exchange.balances("a").values()] == [("USDT", D(7))]
    assert [(b.asset, b.free) for b in exchange.balances("b").values()] == [("BTC", D(2))]
    assert exchange.account("b").faults is faults


def test_a_paper_desk_replays_its_feed_on_simulated_time_and_records_what_it_fills() -> None:
    feed = [_quote(0, "100.00", "100.02"), _quote(10, "98.00", "98.02")]
    desk = paper_desk(account="alice", others=["bob"], deposits=None, start=T0, feed=feed)
    assert isinstance(desk.clock, ManualClock)
    assert (desk.account, desk.broker.ledger, desk.clock.now()) == ("alice", desk.ledger, T0)
    assert desk.exchange.balances("bob")["USDT"].free == D(1_000_000)

    async def trade() -> tuple[int, int, OrderStatus, D | None]:
        first = desk.advance(timedelta(seconds=1))
        record = await desk.broker.submit(_limit(desk.clock.now(), "99.00"))  # rests
        second = desk.run_until(T0 + timedelta(seconds=10))  # the ask falls through it
        assert desk.deliver() == 2  # its fill and its end, recorded
        done = await desk.broker.get(record.order_id)
        return first, second, done.order.status, done.arrival_price

    assert asyncio.run(trade()) == (1, 1, OrderStatus.FILLED, D("100.01"))
    assert desk.clock.now() == T0 + timedelta(seconds=10)


def test_a_paper_desk_refuses_a_clock_with_a_start_and_a_feed_on_real_time() -> None:
    both = "give a paper desk a clock or a start, not both"
    real_time = "a feed is replayed on simulated time: give the desk a start"
    with pytest.raises(ValueError, match=f"^{re.escape(both)}$"):
        paper_desk(clock=ManualClock(T0), start=T0)
    with pytest.raises(ValueError, match=f"^{re.escape(real_time)}$"):
        paper_desk(feed=[])
    with pytest.raises(ValueError, match=r"^this paper desk has no feed to replay$"):
        paper_desk().advance(timedelta(seconds=1))


def test_desks_on_one_exchange_trade_at_the_same_venue_into_their_own_ledgers() -> None:
    first = paper_desk(start=T0)
    second = paper_desk(exchange=first.exchange, clock=first.clock)
    first.exchange.on_quote("BTC_USDT", [(D("94999.99"), D(5))], [(D("95000.01"), D(5))])
    record = asyncio.run(first.broker.submit(_limit(T0, "94000.00")))
    found = asyncio.run(second.broker.reconcile(dry_run=True))
    assert second.exchange is first.exchange
    assert second.ledger is not first.ledger
    assert [(d.kind.value, d.client_order_id) for d in found.differences] == [
        ("missing_here", record.client_order_id)
    ]


def test_open_ledger_opens_a_url_or_takes_a_store_already_open(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    with pytest.raises(LedgerMissing):
        open_ledger(str(tmp_path / "none.db"), create=False)
    made = open_ledger(f"sqlite:///{tmp_path / 'desk.db'}", clock=clock)
    assert (tmp_path / "desk.db").is_file()
    assert open_ledger(made.store, clock=clock).store is made.store
    made.store.close()


def test_the_demo_desk_trades_in_an_account_of_its_own(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = demo_desk(db, minutes=1, seed=3, account="demo-3")
    assert (first.account, first.clock.now()) == ("demo-3", demo.START + timedelta(seconds=1))
    assert {a: b.free for a, b in first.exchange.balances("demo-3").items()} == dict(demo.DEPOSITS)
    asyncio.run(first.broker.submit(_limit(first.clock.now(), "90000.00")))
    assert own_account(first.ledger, "demo-3") == "demo-3-2"
    assert demo_desk(db, minutes=1, seed=3, account="demo-3").account == "demo-3-2"


def test_read_feed_reads_a_quotes_csv(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "time,symbol,bid_price,bid_quantity,ask_price,ask_quantity\n"
        "2025-12-01T15:00:00Z,BTC_USDT,100.00,2,100.02,3\n",
        encoding="ascii",
    )
    markets = {m.symbol: m for m in DEFAULT_MARKETS}
    assert read_feed(path, markets) == [
        Quote(T0, "BTC_USDT", ((D("100.00"), D(2)),), ((D("100.02"), D(3)),))
    ]


class _Closing:
    """A connector that notes being closed."""

    name = "paper"
    closed = 0

    async def close(self) -> None:
        self.closed += 1


def test_a_live_desk_names_its_venue_before_it_opens_the_ledger() -> None:
    opened: list[str] = []

    def ledger() -> Ledger:
        opened.append("ledger")
        return open_ledger("memory://")

    unknown = "unknown venue 'bogus': use loopback or ccxt:<exchange>"
    unsigned = (
        "venue loopback needs credentials: set ORDERDESK_API_KEY and ORDERDESK_API_SECRET "
        "(or a secrets_file)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(unknown)}$"):
        live_desk("bogus", ledger, account="alice")
    with pytest.raises(ValueError, match=f"^{re.escape(unsigned)}$"):
        live_desk("loopback", ledger, account="alice")
    assert opened == []


def test_a_live_desk_trades_as_its_account_and_closes_its_connector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connector = _Closing()
    monkeypatch.setattr(live, "live_connector", lambda venue, **_: connector)
    desk = live_desk("loopback", "memory://", account="alice")
    assert (desk.broker.account, desk.broker.ledger) == ("alice", desk.ledger)
    assert desk.connector is connector  # type: ignore[comparison-overlap]
    asyncio.run(desk.aclose())
    assert connector.closed == 1


def test_a_live_desk_on_the_loopback_venue_signs_with_the_keys_it_is_given() -> None:
    desk = live_desk(
        "loopback", "memory://", account="alice", url="http://127.0.0.1:1",
        api_key=SecretStr("k"), api_secret=SecretStr("s"),
    )  # fmt: skip
    assert isinstance(desk.connector, LoopbackConnector)
    assert (desk.connector.name, desk.broker.account) == ("loopback", "alice")
