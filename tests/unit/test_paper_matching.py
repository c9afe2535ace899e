"""The matching engine, as a table of scenarios with hand-computed fills.

Market BTC_USDT: tick 0.01, step 0.001, min quantity 0.01, min notional 5. Fees (standard
tier): maker 0.1 %, taker 0.2 % of the asset received (a buyer pays in BTC, a seller in
USDT), rounded half-up to 8 places. Every account starts with 10 BTC and 10,000 USDT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest

from orderdesk.model import OrderStatus, SubmitRequest, TimeInForce
from orderdesk.venues.paper import PaperExchange
from tests.unit.paper_setup import BTC_USDT, START, D, levels, order, venue

IOC, FOK, GTD = TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTD
OPEN, PART, FILLED = OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED
EXPIRED = OrderStatus.EXPIRED


@dataclass(frozen=True)
class Quote:
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


@dataclass(frozen=True)
class Print:
    price: str
    quantity: str


@dataclass(frozen=True)
class Wait:
    delta: timedelta


Step = Quote | Print | Wait
FillRow = tuple[str, str, str, str, str, str]  # client id, qty, price, fee, fee asset, liquidity


@dataclass(frozen=True)
class Scenario:
    name: str
    book: Quote
    orders: list[tuple[str, SubmitRequest]]
    fills: list[FillRow]
    statuses: dict[str, OrderStatus]
    then: list[Step] = field(default_factory=list)
    wallets: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    tier: str = "standard"


def q(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> Quote:
    return Quote(levels(*bids), levels(*asks))


SCENARIOS = [
    Scenario(
        "market buy walks two ask levels and pays taker fees in BTC",
        q([], [("100.00", "1"), ("101.00", "2")]),
        [("alice", order("m1", "BUY", "2"))],
        [
            ("m1", "1", "100.00", "0.00200000", "BTC", "TAKER"),
            ("m1", "1", "101.00", "0.00200000", "BTC", "TAKER"),
        ],
        {"m1": FILLED},
        wallets={("alice", "BTC"): ("11.996", "0"), ("alice", "USDT"): ("9799.00", "0")},
    ),
    Scenario(
        "market sell walks two bid levels and pays taker fees in USDT",
        q([("99.00", "1"), ("98.00", "1")], []),
        [("alice", order("m1", "SELL", "1.5"))],
        [
            ("m1", "1", "99.00", "0.19800000", "USDT", "TAKER"),
            ("m1", "0.5", "98.00", "0.09800000", "USDT", "TAKER"),
        ],
        {"m1": FILLED},
        wallets={("alice", "BTC"): ("8.5", "0"), ("alice", "USDT"): ("10147.704", "0")},
    ),
    Scenario(
        "market buy larger than the book fills what there is and expires the rest",
        q([], [("100.00", "1")]),
        [("alice", order("m1", "BUY", "3"))],
        [("m1", "1", "100.00", "0.00200000", "BTC", "TAKER")],
        {"m1": EXPIRED},
        wallets={("alice", "USDT"): ("9900.00", "0")},
    ),
    Scenario(
        "market order on an empty book expires unfilled",
        q([], []),
        [("alice", order("m1", "BUY", "1"))],
        [],
        {"m1": EXPIRED},
        wallets={("alice", "USDT"): ("10000", "0")},
    ),
    Scenario(
        "limit buy below the market rests and locks quantity times price",
        q([("98.00", "1")], [("100.00", "1")]),
        [("alice", order("l1", "BUY", "2", "99.00"))],
        [],
        {"l1": OPEN},
        wallets={("alice", "USDT"): ("9802.00", "198.00")},
    ),
    Scenario(
        "marketable limit buy pays the better price and unlocks the difference",
        q([], [("100.00", "1")]),
        [("alice", order("l1", "BUY", "1", "101.00"))],
        [("l1", "1", "100.00", "0.00200000", "BTC", "TAKER")],
        {"l1": FILLED},
        wallets={("alice", "USDT"): ("9900.00", "0")},
    ),
    Scenario(
        "partly marketable limit buy takes one level and rests the rest",
        q([], [("100.00", "1"), ("101.00", "1")]),
        [("alice", order("l1", "BUY", "2", "100.00"))],
        [("l1", "1", "100.00", "0.00200000", "BTC", "TAKER")],
        {"l1": PART},
        wallets={("alice", "USDT"): ("9800.00", "100.00")},
    ),
    Scenario(
        "a trade print through a resting limit fills it completely as maker",
        q([("98.00", "1")], [("100.00", "1")]),
        [("alice", order("l1", "BUY", "1", "99.00"))],
        [("l1", "1", "99.00", "0.00100000", "BTC", "MAKER")],
        {"l1": FILLED},
        then=[Print("98.50", "0.1")],
        wallets={("alice", "BTC"): ("10.999", "0"), ("alice", "USDT"): ("9901.00", "0")},
    ),
    Scenario(
        "a trade print at the limit price fills only the printed volume",
        q([("98.00", "1")], [("100.00", "1")]),
        [("alice", order("l1", "BUY", "1", "99.00"))],
        [("l1", "0.4", "99.00", "0.00040000", "BTC", "MAKER")],
        {"l1": PART},
        then=[Print("99.00", "0.4")],
        wallets={("alice", "USDT"): ("9901.00", "59.400")},
    ),
    Scenario(
        "a print at the price fills resting orders in time priority",
        q([("98.00", "1")], [("100.00", "1")]),
        [("alice", order("a1", "BUY", "1", "99.00")), ("bob", order("b1", "BUY", "1", "99.00"))],
        [
            ("a1", "1", "99.00", "0.00100000", "BTC", "MAKER"),
            ("b1", "0.5", "99.00", "0.00050000", "BTC", "MAKER"),
        ],
        {"a1": FILLED, "b1": PART},
        then=[Print("99.00", "1.5")],
    ),
    Scenario(
        "asks moving through a resting bid fill it at its price up to their depth",
        q([("98.00", "1")], [("100.00", "1")]),
        [("alice", order("l1", "BUY", "1", "99.00"))],
        [("l1", "0.8", "99.00", "0.00080000", "BTC", "MAKER")],
        {"l1": PART},
        then=[q([("97.00", "1")], [("98.50", "0.3"), ("99.00", "0.5"), ("99.50", "10")])],
    ),
    Scenario(
        "IOC takes what is there and expires the rest",
        q([], [("100.00", "1"), ("101.00", "1")]),
        [("alice", order("i1", "BUY", "2", "100.00", tif=IOC))],
        [("i1", "1", "100.00", "0.00200000", "BTC", "TAKER")],
        {"i1": EXPIRED},
        wallets={("alice", "USDT"): ("9900.00", "0")},
    ),
    Scenario(
        "FOK that cannot fill completely expires without a fill",
        q([], [("100.00", "1")]),
        [("alice", order("f1", "BUY", "2", "100.00", tif=FOK))],
        [],
        {"f1": EXPIRED},
        wallets={("alice", "USDT"): ("10000", "0")},
    ),
    Scenario(
        "FOK that can fill completely fills across levels",
        q([], [("100.00", "1"), ("100.50", "1")]),
        [("alice", order("f1", "BUY", "2", "101.00", tif=FOK))],
        [
            ("f1", "1", "100.00", "0.00200000", "BTC", "TAKER"),
            ("f1", "1", "100.50", "0.00200000", "BTC", "TAKER"),
        ],
        {"f1": FILLED},
        wallets={("alice", "USDT"): ("9799.50", "0")},
    ),
    Scenario(
        "buy stop waits, triggers when the ask reaches it, then takes as a limit",
        q([("99.00", "5")], [("100.00", "5")]),
        [("alice", order("s1", "BUY", "1", "102.00", stop="101.00"))],
        [("s1", "1", "101.50", "0.00200000", "BTC", "TAKER")],
        {"s1": FILLED},
        then=[q([("101.00", "1")], [("101.50", "5")])],
        wallets={("alice", "USDT"): ("9898.50", "0")},
    ),
    Scenario(
        "sell stop triggered by the bid takes what it can and rests at its limit",
        q([("100.00", "5")], [("101.00", "5")]),
        [("alice", order("s1", "SELL", "1", "98.00", stop="99.00"))],
        [("s1", "0.4", "98.50", "0.07880000", "USDT", "TAKER")],
        {"s1": PART},
        then=[q([("98.50", "0.4")], [("99.50", "1")])],
        wallets={("alice", "BTC"): ("9", "0.6")},
    ),
    Scenario(
        "a stop already reached at submit triggers at once",
        q([("100.00", "5")], [("101.00", "5")]),
        [("alice", order("s1", "SELL", "1", "99.00", stop="100.50"))],
        [("s1", "1", "100.00", "0.20000000", "USDT", "TAKER")],
        {"s1": FILLED},
    ),
    Scenario(
        "an order inside the spread is matched first, maker and taker share a trade",
        q([("99.00", "5")], [("101.00", "5")]),
        [("alice", order("a1", "SELL", "1", "100.50")), ("bob", order("b1", "BUY", "1"))],
        [
            ("a1", "1", "100.50", "0.10050000", "USDT", "MAKER"),
            ("b1", "1", "100.50", "0.00200000", "BTC", "TAKER"),
        ],
        {"a1": FILLED, "b1": FILLED},
        wallets={("alice", "USDT"): ("10100.3995", "0"), ("bob", "USDT"): ("9899.50", "0")},
    ),
    Scenario(
        "a negative maker rate on the vip tier is a rebate",
        q([("98.00", "5")], [("100.00", "5")]),
        [("alice", order("l1", "BUY", "1", "99.00"))],
        [("l1", "1", "99.00", "-0.00010000", "BTC", "MAKER")],
        {"l1": FILLED},
        then=[Print("98.00", "5")],
        wallets={("alice", "BTC"): ("11.0001", "0")},
        tier="vip",
    ),
    Scenario(
        "GTD order expires at expire_at and unlocks its funds",
        q([("98.00", "5")], [("100.00", "5")]),
        [
            (
                "alice",
                order("g1", "BUY", "1", "99.00", tif=GTD, expire_at=START + timedelta(seconds=60)),
            )
        ],
        [],
        {"g1": EXPIRED},
        then=[Wait(timedelta(seconds=60))],
        wallets={("alice", "USDT"): ("10000.00", "0")},
    ),
]


def run(scenario: Scenario) -> PaperExchange:
    exchange, clock = venue(accounts=("bob",))
    exchange.open_account("alice", {"BTC": D("10"), "USDT": D("10000")}, tier=scenario.tier)
    symbol = BTC_USDT.symbol
    exchange.on_quote(symbol, scenario.book.bids, scenario.book.asks)
    for account, request in scenario.orders:
        result = exchange.submit(account, request)
        assert result.accepted, result
    for step in scenario.then:
        if isinstance(step, Quote):
            exchange.on_quote(symbol, step.bids, step.asks)
        elif isinstance(step, Print):
            exchange.on_trade(symbol, D(step.price), D(step.quantity))
        else:
            clock.advance(step.delta)
            exchange.advance()
    return exchange


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_matching_scenario(scenario: Scenario) -> None:
    supply_before = {"BTC": D("20"), "USDT": D("20000")}

    exchange = run(scenario)

    fills = [
        (f.client_order_id, str(f.quantity), str(f.price), str(f.fee), f.fee_asset, f.liquidity)
        for account in ("alice", "bob")
        for f in exchange.fills_since(account, "BTC_USDT", START)
    ]
    assert fills == scenario.fills
    statuses = {
        cid: exchange.query(account, "BTC_USDT", client_order_id=cid).status  # type: ignore[union-attr]
        for account, request in scenario.orders
        for cid in [request.client_order_id]
    }
    assert statuses == scenario.statuses
    for (account, asset), (free, locked) in scenario.wallets.items():
        balance = exchange.balances(account)[asset]
        assert (balance.free, balance.locked) == (D(free), D(locked))
    assert exchange.supply() == supply_before


def test_fill_reports_carry_the_state_after_each_fill() -> None:
    exchange = run(SCENARIOS[0])

    reports = exchange.take_reports("alice")

    assert [(r.seq, r.kind.value, r.status.value, str(r.filled_quantity)) for r in reports] == [
        (1, "ACK", "OPEN", "0"),
        (2, "FILL", "PARTIALLY_FILLED", "1"),
        (3, "FILL", "FILLED", "2"),
    ]
