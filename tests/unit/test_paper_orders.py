"""Rejects, cancels, queries and client ids at the paper venue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderdesk.model import CancelOutcome, OrderStatus, RejectCode, SubmitRequest, TimeInForce
from orderdesk.venues.paper import ClientIdScope
from tests.unit.paper_setup import FUNDS, START, D, levels, order, venue

R = RejectCode
REJECTS = [
    ("unknown symbol", [], order("x", "BUY", "1", "99.00", symbol="ETH_USDT"), R.UNKNOWN_SYMBOL),
    ("price off the tick", [], order("x", "BUY", "1", "99.005"), R.PRICE_NOT_ON_TICK),
    ("stop off the tick", [], order("x", "BUY", "1", "99", stop="99.001"), R.PRICE_NOT_ON_TICK),
    ("quantity off the step", [], order("x", "BUY", "0.0105", "99.00"), R.QUANTITY_NOT_ON_STEP),
    ("below min quantity", [], order("x", "BUY", "0.005", "99.00"), R.BELOW_MIN_QUANTITY),
    ("below min notional", [], order("x", "BUY", "0.02", "99.00"), R.BELOW_MIN_NOTIONAL),
    ("market below min notional", [("100", "1")], order("x", "BUY", "0.02"), R.BELOW_MIN_NOTIONAL),
    ("buy beyond the USDT", [], order("x", "BUY", "200", "99.00"), R.INSUFFICIENT_BALANCE),
    ("sell beyond the BTC", [], order("x", "SELL", "11", "99.00"), R.INSUFFICIENT_BALANCE),
    ("market buy beyond", [("100", "200")], order("x", "BUY", "150"), R.INSUFFICIENT_BALANCE),
    ("malformed client id", [], order("bad id!", "BUY", "1", "99.00"), R.INVALID_CLIENT_ORDER_ID),
]


@pytest.mark.parametrize(
    ("asks", "request_", "code"), [r[1:] for r in REJECTS], ids=[r[0] for r in REJECTS]
)
def test_reject_names_its_reason_and_changes_nothing(
    asks: list[tuple[str, str]], request_: SubmitRequest, code: RejectCode
) -> None:
    exchange, _ = venue()
    exchange.on_quote("BTC_USDT", [], levels(*asks))

    result = exchange.submit("alice", request_)

    assert (result.status, result.reject_code, result.venue_order_id) == (
        OrderStatus.REJECTED,
        code,
        None,
    )
    assert {a: b.free for a, b in exchange.balances("alice").items()} == FUNDS
    assert exchange.take_reports("alice") == []
    assert exchange.open_records("alice") == []


def test_gtd_order_whose_expiry_has_passed_is_rejected() -> None:
    exchange, _ = venue()

    result = exchange.submit(
        "alice", order("g", "BUY", "1", "99.00", tif=TimeInForce.GTD, expire_at=START)
    )

    assert result.reject_code is RejectCode.INVALID_ORDER


def test_cancel_of_a_resting_order_unlocks_its_funds() -> None:
    exchange, _ = venue()
    exchange.submit("alice", order("l1", "BUY", "2", "99.00"))

    result = exchange.cancel("alice", "BTC_USDT", client_order_id="l1")

    assert (result.outcome, result.status, result.venue_order_id) == (
        CancelOutcome.CANCELLED,
        OrderStatus.CANCELLED,
        "1",
    )
    usdt = exchange.balances("alice")["USDT"]
    assert (usdt.free, usdt.locked) == (D("10000"), D("0"))
    assert [r.kind.value for r in exchange.take_reports("alice")] == ["ACK", "CANCELLED"]


def test_cancel_of_a_filled_order_is_too_late() -> None:
    exchange, _ = venue()
    exchange.on_quote("BTC_USDT", [], levels(("100.00", "5")))
    exchange.submit("alice", order("m1", "BUY", "1"))

    result = exchange.cancel("alice", "BTC_USDT", venue_order_id="1")

    assert (result.outcome, result.status) == (CancelOutcome.TOO_LATE, OrderStatus.FILLED)


def test_cancel_of_an_unknown_order_is_not_found() -> None:
    exchange, _ = venue()

    result = exchange.cancel("alice", "BTC_USDT", client_order_id="nope")

    assert (result.outcome, result.status) == (CancelOutcome.NOT_FOUND, None)


def test_another_account_can_neither_see_nor_cancel_an_order() -> None:
    exchange, _ = venue()
    exchange.submit("alice", order("l1", "BUY", "1", "99.00"))

    assert exchange.query("bob", "BTC_USDT", client_order_id="l1") is None
    assert exchange.query("bob", "BTC_USDT", venue_order_id="1") is None
    outcome = exchange.cancel("bob", "BTC_USDT", venue_order_id="1").outcome
    assert outcome is CancelOutcome.NOT_FOUND
    assert exchange.query("alice", "BTC_USDT", venue_order_id="1").status is OrderStatus.OPEN  # type: ignore[union-attr]


def test_query_by_either_id_returns_the_same_order() -> None:
    exchange, _ = venue()
    exchange.submit("alice", order("l1", "BUY", "1", "99.00"))

    by_client = exchange.query("alice", "BTC_USDT", client_order_id="l1")
    by_venue = exchange.query("alice", "BTC_USDT", venue_order_id="1")

    assert by_client == by_venue
    assert by_client is not None
    assert (by_client.client_order_id, by_client.quantity, by_client.price) == (
        "l1",
        D("1"),
        D("99.00"),
    )


def test_client_id_is_refused_again_while_its_order_is_open() -> None:
    exchange, _ = venue()
    exchange.submit("alice", order("c1", "BUY", "1", "99.00"))

    again = exchange.submit("alice", order("c1", "BUY", "1", "99.00"))

    assert again.reject_code is RejectCode.DUPLICATE_CLIENT_ORDER_ID


def test_open_only_scope_accepts_a_resent_filled_market_order_twice() -> None:
    exchange, _ = venue(scope=ClientIdScope.OPEN)
    exchange.on_quote("BTC_USDT", [], levels(("100.00", "5")))
    exchange.submit("alice", order("c1", "BUY", "1"))

    again = exchange.submit("alice", order("c1", "BUY", "1"))

    assert (again.accepted, again.venue_order_id, again.status) == (True, "2", OrderStatus.FILLED)
    assert exchange.balances("alice")["BTC"].free == D("11.996")


def test_forever_scope_refuses_a_client_id_ever_used() -> None:
    exchange, _ = venue(scope=ClientIdScope.FOREVER)
    exchange.on_quote("BTC_USDT", [], levels(("100.00", "5")))
    exchange.submit("alice", order("c1", "BUY", "1"))

    again = exchange.submit("alice", order("c1", "BUY", "1"))

    assert again.reject_code is RejectCode.DUPLICATE_CLIENT_ORDER_ID


def test_closed_orders_and_fills_since_a_time_leave_out_earlier_ones() -> None:
    exchange, clock = venue()
    exchange.on_quote("BTC_USDT", [], levels(("100.00", "5")))
    exchange.submit("alice", order("early", "BUY", "1"))
    clock.advance(timedelta(seconds=10))
    exchange.submit("alice", order("late", "BUY", "1"))

    since = START + timedelta(seconds=5)
    closed = exchange.closed_records("alice", "BTC_USDT", since)
    fills = exchange.fills_since("alice", "BTC_USDT", since)

    assert [o.client_order_id for o in closed] == ["late"]
    assert [(f.client_order_id, f.trade_id) for f in fills] == [("late", "2")]
