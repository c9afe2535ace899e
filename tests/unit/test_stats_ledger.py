"""The report over a Ledger (execution rows), against the hand-computed fixture table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.events import Acked, Cancelled, Filled
from orderdesk.ports import Store
from orderdesk.stats import ledger_report
from orderdesk.testing.ledger_kit import T0, fill_of, make_group, order_in_group

# n: side, type, symbol, quantity, limit, arrival, fills (quantity, price, seconds), cancelled
TABLE = {
    1: ("BUY", "LIMIT", "BTC_USDT", "1", "100.50", "100.00",
        (("0.4", "100.20", 1), ("0.6", "100.40", 3.5)), False),
    2: ("SELL", "MARKET", "ETH_USDT", "2", None, "3000.00",
        (("1.5", "2999.00", 0.2), ("0.5", "2997.00", 0.4)), False),
    3: ("BUY", "LIMIT", "BTC_USDT", "1", "99", "100.00", (), True),
    4: ("SELL", "LIMIT", "BTC_USDT", "1", "100", "100.5", (("0.25", "101", 2),), True),
}  # fmt: skip


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    store: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "l.db")
    yield store
    store.close()


@pytest.fixture
def ledger(store: Store) -> Ledger:
    ledger = Ledger(store, ManualClock(T0))
    for n, (side, kind, symbol, qty, limit, arrival, fills, cancelled) in TABLE.items():
        group = ledger.record_group(make_group(symbol=symbol, side=side))
        order = order_in_group(
            group, T0, symbol=symbol, side=side, order_type=kind, quantity=qty, price=limit
        )
        ledger.record_order(
            "acct-1", order, venue="paper", client_order_id=f"c{n}", arrival_price=arrival
        )
        ledger.apply("acct-1", order.order_id, Acked(T0, f"V{n}"))
        for i, (part, price, after) in enumerate(fills):
            at = T0 + timedelta(seconds=after)
            ledger.apply(
                "acct-1", order.order_id, Filled(fill_of(order, part, f"{n}-{i}", price, at))
            )
        if cancelled:
            ledger.apply("acct-1", order.order_id, Cancelled(T0 + timedelta(seconds=9)))
    return ledger


def test_report_by_side_over_a_ledger_matches_the_hand_computed_figures(ledger: Ledger) -> None:
    result = ledger_report(ledger, "acct-1", group_by=["side"])
    buy, sell = result.groups[("BUY",)], result.groups[("SELL",)]
    assert (buy.orders, buy.slippage_count, buy.fill_time_count) == (2, 1, 1)
    assert (buy.slippage_mean_bps, buy.slippage_median_bps, buy.slippage_weighted_bps) == (
        D("32.000000"),
        D("32.000000"),
        D("32.000000"),
    )
    assert (buy.fill_rate, buy.cancel_rate, buy.reject_rate, buy.expiry_rate) == (
        D("0.500000"),
        D("0.500000"),
        D("0E-6"),
        D("0E-6"),
    )
    assert buy.fill_time_mean_s == D("3.500000")
    assert (sell.orders, sell.slippage_count) == (2, 2)
    assert (sell.slippage_mean_bps, sell.slippage_median_bps) == (
        D("-22.375622"),
        D("-22.375622"),
    )
    assert (sell.slippage_p90_bps, sell.slippage_p99_bps) == (D("-0.475124"), D("4.452488"))
    assert sell.slippage_weighted_bps == D("4.770440")
    assert (sell.fill_time_count, sell.fill_time_p99_s) == (1, D("0.400000"))
    assert sell.outcomes == {"CANCELLED": 1, "FILLED": 1}


def test_the_window_selects_orders_by_creation(ledger: Ledger) -> None:
    later = ledger_report(ledger, "acct-1", start=T0 + timedelta(seconds=1))
    assert (later.groups, later.start, later.end) == ({}, T0 + timedelta(seconds=1), None)
    (everything,) = ledger_report(ledger, "acct-1", end=T0 + timedelta(days=1)).groups.values()
    assert everything.orders == 4
    assert ledger_report(ledger, "acct-2").groups == {}
