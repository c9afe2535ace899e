"""Strict decimals: every invalid input is refused; every valid one round-trips exactly."""

from __future__ import annotations

import decimal
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderdesk import Fill, Order
from orderdesk.model import ExecutionGroup, TradePlan
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


# Any Decimal a caller can hold: hypothesis's own (NaN, sNaN, infinities, signed zeros) and
# ones built from a sign, digits and an exponent anywhere in the decimal module's range.
# The decimal module refuses to build a value whose adjusted exponent passes MAX_EMAX.
_EXPONENTS = st.integers(-decimal.MAX_EMAX, decimal.MAX_EMAX - 44)
any_decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(
        lambda sign, digits, exponent: Decimal((sign, digits, exponent)),
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=45).map(tuple),
        st.one_of(st.integers(-40, 40), _EXPONENTS),
    ),
    st.sampled_from([Decimal(text) for text in ("sNaN", "-sNaN", "NaN123", "-0", "1E+30")]),
)


def _fits(value: Decimal, *, positive: bool) -> bool:
    """The documented rule, written independently of the parser."""
    if not value.is_finite() or (value.is_zero() and value.is_signed()):
        return False
    if positive and not value > 0:
        return False
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    integer_digits = 0 if value.is_zero() else value.adjusted() + 1
    return exponent >= -18 and integer_digits <= 20


def _expect_exactly(model: type[object], fields: dict[str, object], name: str) -> None:
    """Build ``model``: exactly the value if it fits, else a ValidationError naming ``name``
    (any other exception fails the test)."""
    value = fields[name]
    assert isinstance(value, Decimal)
    if not _fits(value, positive=name != "fee"):
        with pytest.raises(ValidationError) as caught:
            model(**fields)
        assert [error["loc"] for error in caught.value.errors()] == [(name,)]
        return
    kept = getattr(model(**fields), name)
    assert kept == value
    if value.is_zero():
        assert kept.as_tuple() == (0, (0,), min(0, value.as_tuple().exponent))
    else:  # the scale is kept; a positive exponent is made positional
        assert kept.as_tuple().exponent == min(0, value.as_tuple().exponent)
    assert "E" not in format(kept, "f")


_ORDER = {
    "parent_group_id": "EXG_20251201_145955_a1b2c3d4",
    "symbol": "BTC_USDT",
    "side": "BUY",
    "order_type": "STOP_LIMIT",
    "quantity": Decimal(1),
    "price": Decimal(100),
    "stop_price": Decimal(99),
    "created_at": "2025-12-01T15:00:00Z",
    "updated_at": "2025-12-01T15:00:00Z",
}
_FILL = {
    "order_id": make_order().order_id,
    "trade_id": "t1",
    "quantity": Decimal(1),
    "price": Decimal(100),
    "fee": Decimal("0.1"),
    "fee_asset": "USDT",
    "executed_at": "2025-12-01T15:00:00Z",
}
_PLAN = {
    "plan_id": "TPL_20251201_145955_a1b2c3d4",
    "account": "alice",
    "strategy": "s",
    "symbol": "BTC_USDT",
    "side": "BUY",
    "created_at": "2025-12-01T15:00:00Z",
}
_GROUP = {**_PLAN, "group_id": "EXG_20251201_145955_a1b2c3d4", "plan_id": None}


@given(any_decimals, st.sampled_from(["quantity", "price", "stop_price"]))
def test_any_decimal_makes_an_order_with_exactly_that_value_or_a_validation_error(
    value: Decimal, name: str
) -> None:
    _expect_exactly(Order, {**_ORDER, name: value}, name)


@given(any_decimals, st.sampled_from(["quantity", "price", "fee"]))
def test_any_decimal_makes_a_fill_with_exactly_that_value_or_a_validation_error(
    value: Decimal, name: str
) -> None:
    _expect_exactly(Fill, {**_FILL, name: value}, name)


@given(any_decimals, st.sampled_from([TradePlan, ExecutionGroup]))
def test_any_decimal_price_makes_a_plan_or_group_or_a_validation_error(
    value: Decimal, model: type[object]
) -> None:
    fields = _PLAN if model is TradePlan else _GROUP
    _expect_exactly(model, {**fields, "decision_price": value}, "decision_price")


@pytest.mark.parametrize("name", ["quantity", "price", "stop_price"])
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1E+30", "Value error, Decimal('1E+30') has more than 20 integer digits"),
        ("1E+20", "Value error, Decimal('1E+20') has more than 20 integer digits"),
        (
            "1E+999999999999999999",
            "Value error, Decimal('1E+999999999999999999') has more than 20 integer digits",
        ),
        ("-0", "Value error, Decimal('-0') is a negative zero"),
        ("sNaN", "Value error, Decimal('sNaN') is not a finite decimal"),
        ("1E-19", "Value error, Decimal('1E-19') has more than 18 decimal places"),
    ],
)
def test_out_of_range_decimals_are_validation_errors_naming_the_field(
    name: str, raw: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Order(**{**_ORDER, name: Decimal(raw)})
    (error,) = caught.value.errors()
    assert error["loc"] == (name,)
    assert error["msg"] == message


def test_a_positive_exponent_is_made_positional_whatever_the_callers_context() -> None:
    with localcontext() as context:
        context.prec = 3  # quantizing 1E+19 needs 20 digits
        order = Order(**{**_ORDER, "quantity": Decimal("1E+19"), "price": Decimal("1E+2")})
    assert order.quantity.as_tuple() == Decimal("10000000000000000000").as_tuple()
    assert order.price is not None
    assert order.price.as_tuple() == Decimal("100").as_tuple()


def test_an_int_too_long_to_print_is_refused_by_its_size() -> None:
    with pytest.raises(ValidationError) as caught:
        Order(**{**_ORDER, "quantity": 10**5000})
    (error,) = caught.value.errors()
    assert error["loc"] == ("quantity",)
    assert error["msg"] == "Value error, an int too long to print has more than 20 integer digits"
