"""Conservation: whatever is traded, every asset's total over all accounts plus fees is fixed.

Also: the book is never crossed (no resting bid at or above a resting ask or the feed's best
ask, and the other way round), no account's free balance ever goes negative, what is locked
is exactly what the account's working orders reserve, no account sees one trade id twice,
and every order's fills add up to its filled quantity, never more than its quantity.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderdesk.model import OrderType, Side, SubmitRequest, TimeInForce
from orderdesk.venues.paper import Faults, PaperExchange
from tests.unit.paper_setup import START, D, venue

TICK, STEP = D("0.01"), D("0.001")
prices = st.integers(min_value=9_900, max_value=10_100)  # in ticks: 99.00 .. 101.00
sizes = st.integers(min_value=10, max_value=3_000)  # in steps: 0.010 .. 3.000
accounts = st.sampled_from(["alice", "bob"])

quote = st.tuples(st.just("quote"), prices, st.integers(1, 20), st.lists(sizes, max_size=3))
trade = st.tuples(st.just("trade"), prices, sizes)
submit = st.tuples(
    st.just("submit"),
    accounts,
    st.sampled_from(list(Side)),
    st.sampled_from(list(OrderType)),
    sizes,
    prices,
    st.integers(-50, 50),
    st.sampled_from([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTD]),
)
cancel = st.tuples(st.just("cancel"), accounts, st.integers(1, 20))
cancel_open = st.tuples(st.just("cancel_open"), accounts)
wait = st.tuples(st.just("wait"), st.integers(1, 120))
operations = st.lists(
    st.one_of(quote, trade, submit, submit, cancel, cancel_open, wait), max_size=60
)
OPENING_QUOTE = ("quote", 10_000, 2, [500, 1_000, 2_000])  # a market to trade with from the start


def apply(exchange: PaperExchange, clock: object, op: tuple[object, ...], n: int) -> None:
    kind = op[0]
    if kind == "quote":
        _, bid, spread, qty = op
        assert isinstance(bid, int)
        assert isinstance(spread, int)
        assert isinstance(qty, list)
        bids = [(TICK * (bid - i), STEP * q) for i, q in enumerate(qty)]
        asks = [(TICK * (bid + spread + i), STEP * q) for i, q in enumerate(qty)]
        exchange.on_quote("BTC_USDT", bids, asks)
    elif kind == "trade":
        _, price, qty = op
        assert isinstance(price, int)
        assert isinstance(qty, int)
        exchange.on_trade("BTC_USDT", TICK * price, STEP * qty)
    elif kind == "submit":
        _, account, side, order_type, qty, price, stop_offset, tif = op
        assert isinstance(account, str)
        assert isinstance(price, int)
        assert isinstance(qty, int)
        assert isinstance(stop_offset, int)
        market = order_type is OrderType.MARKET
        request = SubmitRequest(
            client_order_id=f"o{n}",
            symbol="BTC_USDT",
            side=side,  # type: ignore[arg-type]
            order_type=order_type,  # type: ignore[arg-type]
            quantity=STEP * qty,
            price=None if market else TICK * price,
            stop_price=TICK * (price + stop_offset) if order_type is OrderType.STOP_LIMIT else None,
            time_in_force=TimeInForce.GTC if market and tif is TimeInForce.GTD else tif,  # type: ignore[arg-type]
            expire_at=START + timedelta(days=1) if tif is TimeInForce.GTD and not market else None,
        )
        exchange.submit(account, request)
    elif kind == "cancel":
        _, account, index = op
        assert isinstance(account, str)
        assert isinstance(index, int)
        exchange.cancel(account, "BTC_USDT", venue_order_id=str(index))
    elif kind == "cancel_open":
        _, account = op
        assert isinstance(account, str)
        working = exchange.open_records(account)
        if working:
            exchange.cancel(account, "BTC_USDT", venue_order_id=working[0].venue_order_id)
    else:
        _, seconds = op
        assert isinstance(seconds, int)
        clock.advance(timedelta(minutes=seconds * 30))  # type: ignore[attr-defined]
        exchange.advance()


@given(operations, st.floats(0.0, 1.0))
def test_supply_is_conserved_and_balances_stay_whole(
    ops: list[tuple[object, ...]], too_late: float
) -> None:
    exchange, clock = venue(faults=Faults(cancel_too_late=too_late))
    before = exchange.supply()

    for n, op in enumerate([OPENING_QUOTE, *ops]):
        apply(exchange, clock, op, n)

        assert exchange.supply() == before
        book = exchange.book("BTC_USDT")
        best_bid, best_ask = book.bids.best(), book.asks.best()
        feed_bid, feed_ask = book.best_feed(bid=True), book.best_feed(bid=False)
        if best_bid is not None:
            assert best_ask is None or best_bid < best_ask
            assert feed_ask is None or best_bid < feed_ask
        if best_ask is not None:
            assert feed_bid is None or best_ask > feed_bid
        for account in ("alice", "bob"):
            reserved: dict[str, Decimal] = {}
            for order in exchange.open_records(account):
                asset = "USDT" if order.is_buy else "BTC"
                reserved[asset] = reserved.get(asset, D(0)) + order.reserved
            fills = exchange.fills_since(account, "BTC_USDT", START)
            trade_ids = [f.trade_id for f in fills]
            assert len(trade_ids) == len(set(trade_ids)), "one account saw a trade id twice"
            filled: dict[str, Decimal] = {}
            for fill in fills:
                filled[fill.venue_order_id] = filled.get(fill.venue_order_id, D(0)) + fill.quantity
            for venue_order_id, quantity in filled.items():
                record = exchange.find(account, "BTC_USDT", venue_order_id=venue_order_id)
                assert record is not None
                assert record.filled == quantity <= record.quantity
            for asset, balance in exchange.balances(account).items():
                assert balance.free >= 0, (account, asset, balance)
                assert balance.locked == reserved.get(asset, D(0)), (account, asset, balance)
