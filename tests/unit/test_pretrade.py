"""Pre-trade rules: quantize with the documented rounding, then check filters and balance."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderdesk import OrderType, PreTradeRejected
from orderdesk.broker.pretrade import Rounding, check_order, quantize, roundings
from orderdesk.model.venue import Balance, Market
from orderdesk.testing.factories import make_order
from orderdesk.testing.strategies import decimal_texts

BTC = Market(
    symbol="BTC_USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=D("0.01"),
    step_size=D("0.001"),
    min_quantity=D("0.001"),
    min_notional=D("10"),
    max_quantity=D("100"),
)


@pytest.mark.parametrize(
    ("side", "quantity", "price", "expected_quantity", "expected_price"),
    [
        ("BUY", "0.12345", "95000.129", "0.123", "95000.12"),
        ("SELL", "0.12345", "95000.121", "0.123", "95000.13"),
        ("BUY", "1", "95000", "1", "95000"),  # on the grid: kept as given
        ("SELL", "0.0019", "95000.00", "0.001", "95000.00"),
    ],
)
def test_quantity_rounds_down_and_price_rounds_in_the_owners_favour(
    side: str, quantity: str, price: str, expected_quantity: str, expected_price: str
) -> None:
    checked = check_order(make_order(side=side, quantity=quantity, price=price), BTC)
    assert (str(checked.quantity), str(checked.price)) == (expected_quantity, expected_price)


def test_stop_price_rounds_like_the_price() -> None:
    order = make_order(
        side="SELL", order_type=OrderType.STOP_LIMIT, price="94000.001", stop_price="94500.005"
    )
    checked = check_order(order, BTC)
    assert (str(checked.price), str(checked.stop_price)) == ("94000.01", "94500.01")


def test_an_order_already_on_the_grid_is_returned_unchanged() -> None:
    order = make_order(quantity="0.5", price="95000.00")
    assert check_order(order, BTC) is order


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"quantity": "0.0009"}, "BELOW_MIN_QUANTITY", "rounds to 0.000 BTC on step 0.001"),
        ({"quantity": "101"}, "ABOVE_MAX_QUANTITY", "above the maximum 100"),
        ({"quantity": "0.001", "price": "9000"}, "BELOW_MIN_NOTIONAL", "notional 9.000"),
        ({"symbol": "ETH_USDT"}, "UNKNOWN_SYMBOL", "market is BTC_USDT"),
        ({"price": "0.001"}, "PRICE_NOT_ON_TICK", "rounds to 0.00 on tick 0.01"),
    ],
)
def test_filter_violations_are_clear_errors(
    fields: dict[str, str], code: str, message: str
) -> None:
    with pytest.raises(PreTradeRejected, match=message) as caught:
        check_order(make_order(**fields), BTC)
    assert caught.value.code == code


def test_a_market_order_is_priced_at_the_reference_for_its_notional() -> None:
    order = make_order(order_type=OrderType.MARKET, price=None, quantity="0.0001")
    with pytest.raises(PreTradeRejected, match="below the minimum"):
        check_order(order.model_copy(update={"quantity": D("0.001")}), BTC, reference_price=D(5))
    ok = order.model_copy(update={"quantity": D("0.001")})
    assert check_order(ok, BTC, reference_price=D(95000)) is ok


@pytest.mark.parametrize(
    ("side", "balances", "message"),
    [
        (
            "BUY",
            {"USDT": Balance("USDT", D("47499.99"), D(0))},
            "needs 47500.00000 USDT, 47499.99 is free",
        ),
        ("SELL", {"BTC": Balance("BTC", D("0.499"), D(0))}, "needs 0.500 BTC, 0.499 is free"),
        ("SELL", {}, "needs 0.500 BTC, 0 is free"),
    ],
)
def test_insufficient_balance_is_refused(
    side: str, balances: dict[str, Balance], message: str
) -> None:
    order = make_order(side=side, quantity="0.5", price="95000")
    with pytest.raises(PreTradeRejected, match=message) as caught:
        check_order(order, BTC, balances=balances)
    assert caught.value.code == "INSUFFICIENT_BALANCE"


def test_enough_balance_passes() -> None:
    order = make_order(side="BUY", quantity="0.5", price="95000")
    balances = {"USDT": Balance("USDT", D("47500"), D(0))}
    assert check_order(order, BTC, balances=balances).quantity == D("0.500")


@given(decimal_texts(8, 10), st.sampled_from(["0.01", "0.5", "1", "0.00000001", "25"]))
def test_quantize_lands_on_the_grid_within_one_increment(text: str, tick: str) -> None:
    value, increment = D(text), D(tick)
    down, up = quantize(value, increment, up=False), quantize(value, increment, up=True)
    assert down % increment == 0
    assert up % increment == 0
    assert down <= value <= up
    assert up - down in (0, increment)
    assert (up == down) == (value % increment == 0)


def test_quantize_is_exact_beyond_28_digits() -> None:
    value = D("12345678901234567890.123456789012345678")
    assert quantize(value, D("0.000000000000000001"), up=False) == value
    assert quantize(value, D("0.01"), up=True) == D("12345678901234567890.13")


LOOSE = replace(BTC, min_notional=D(0), max_quantity=None)


@given(
    st.sampled_from(["BUY", "SELL"]),
    decimal_texts(3, 6),
    decimal_texts(6, 4),
    st.one_of(st.none(), decimal_texts(6, 4)),
)
def test_roundings_name_exactly_what_check_order_changes(
    side: str, quantity: str, price: str, stop: str | None
) -> None:
    kind = OrderType.LIMIT if stop is None else OrderType.STOP_LIMIT
    order = make_order(side=side, quantity=quantity, price=price, stop_price=stop, order_type=kind)
    try:
        checked = check_order(order, LOOSE)
    except PreTradeRejected:
        return  # rounds to zero: refused either way
    found = {r.field: (r.before, r.after) for r in roundings(order, LOOSE)}
    for name in ("quantity", "price", "stop_price"):
        before, after = getattr(order, name), getattr(checked, name)
        assert found.get(name, (before, before)) == (before, after)
        assert (name in found) == (after != before)


def test_roundings_say_before_after_and_the_increment() -> None:
    order = make_order(side="SELL", order_type=OrderType.STOP_LIMIT, quantity="0.0015",
                       price="94000.001", stop_price="94500.00")  # fmt: skip
    assert roundings(order, BTC) == [
        Rounding("quantity", D("0.0015"), D("0.001"), D("0.001")),
        Rounding("price", D("94000.001"), D("94000.01"), D("0.01")),
    ]
    assert roundings(make_order(quantity="0.5", price="95000.00"), BTC) == []
