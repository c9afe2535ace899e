"""Strict decimals: every invalid input is refused; every valid one round-trips exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderdesk import Fill, Order
from orderdesk.model.decimals import parse_fee, parse_positive
from orderdesk.testing.factories import make_fill, make_order
from orderdesk.testing.strategies import decimal_texts, invalid_decimal_inputs


@given(invalid_decimal_inputs())
def test_every_invalid_quantity_is_refused_with_a_validation_error(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        make_order(quantity=bad)
    (error,) = caught.value.errors()
    assert error["loc"] == ("quantity",)


@given(invalid_decimal_inputs())
def test_every_invalid_price_is_refused_by_the_parser(bad: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the input
        parse_positive(bad)


@given(decimal_texts())
def test_every_valid_decimal_round_trips_through_json_with_its_scale(text: str) -> None:
    order = make_order(quantity=text, price=text)
    again = Order.model_validate_json(order.model_dump_json())
    expected = Decimal(text)
    assert again.model_dump(mode="json")["quantity"] == format(expected, "f")
    assert again.quantity.as_tuple() == expected.as_tuple()
    assert again.price is not None
    assert again.price.as_tuple() == expected.as_tuple()
    assert again == order


@given(decimal_texts())
def test_decimal_json_text_is_positional_and_equal_in_value(text: str) -> None:
    dumped = make_order(quantity=text).model_dump(mode="json")["quantity"]
    assert "E" not in dumped
    assert "e" not in dumped
    assert Decimal(dumped) == Decimal(text)
    assert Decimal(dumped).as_tuple().exponent == Decimal(text).as_tuple().exponent


@given(decimal_texts(), st.booleans())
def test_fees_take_either_sign_and_round_trip(text: str, rebate: bool) -> None:
    raw = f"-{text}" if rebate else text
    order = make_order()
    fill = make_fill(order, "t1", "1", fee=raw, fee_asset="USDT")
    again = Fill.model_validate_json(fill.model_dump_json())
    assert again.fee == Decimal(raw)
    assert again.fee.as_tuple() == Decimal(raw).as_tuple()


@given(st.sampled_from(["-0", "-0.0", "-0.000", Decimal("-0"), Decimal("-0.00")]))
def test_negative_zero_fees_are_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="negative zero"):
        parse_fee(raw)
