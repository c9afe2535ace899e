"""Totals computed from fills, never stored: filled, remaining, exact VWAP, fees by asset."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderdesk import Fill, OrderFills
from orderdesk.model.fill import VWAP_PRECISION
from orderdesk.testing.factories import make_fill, make_order
from orderdesk.testing.strategies import decimal_texts


def test_totals_of_three_fills_are_exact() -> None:
    order = make_order(quantity="2.5")
    fills = OrderFills(order.quantity)
    fills.add(make_fill(order, "t1", "1.0", "100.10", fee="0.10", fee_asset="USDT"))
    fills.add(make_fill(order, "t2", "0.5", "100.40", fee="-0.02", fee_asset="USDT"))
    fills.add(make_fill(order, "t3", "0.25", "99.00", fee="0.00001", fee_asset="BNB"))
    summary = fills.summary()
    assert summary.filled_quantity == Decimal("1.75")
    assert summary.remaining_quantity == Decimal("0.75")
    assert summary.notional == Decimal("175.0500")
    assert summary.average_fill_price == Decimal("100.0285714285714285714285714285714285714")
    assert dict(summary.fees) == {"USDT": Decimal("0.08"), "BNB": Decimal("0.00001")}
    assert summary.fill_count == 3


def test_no_fills_means_no_average_price() -> None:
    summary = OrderFills(Decimal(1)).summary()
    assert summary.average_fill_price is None
    assert summary.filled_quantity == 0
    assert summary.remaining_quantity == 1


def test_terminating_averages_are_exact() -> None:
    order = make_order(quantity="3")
    fills = OrderFills(
        order.quantity, [make_fill(order, "a", "1", "1"), make_fill(order, "b", "2", "2.5")]
    )
    assert fills.average_fill_price == Decimal("2")


def test_a_non_zero_fee_needs_its_asset() -> None:
    order = make_order()
    with pytest.raises(ValidationError, match="a non-zero fee needs its fee_asset"):
        make_fill(order, "t1", "1", fee="0.1")


def test_fills_are_immutable() -> None:
    fill = make_fill(make_order(), "t1", "1")
    with pytest.raises(ValidationError):
        fill.quantity = Decimal(2)  # type: ignore[misc]


def test_recording_a_trade_id_twice_is_refused() -> None:
    order = make_order()
    fills = OrderFills(order.quantity, [make_fill(order, "t1", "0.1")])
    with pytest.raises(ValueError, match="already recorded"):
        fills.add(make_fill(order, "t1", "0.1"))
    assert fills.filled_quantity == Decimal("0.1")


@given(st.lists(st.tuples(decimal_texts(6, 8), decimal_texts(7, 8)), min_size=1, max_size=8))
def test_vwap_is_the_exact_quotient_to_40_significant_digits(
    pieces: list[tuple[str, str]],
) -> None:
    order = make_order(quantity="1000000000")
    fills = OrderFills(order.quantity)
    for i, (qty, price) in enumerate(pieces):
        fills.add(make_fill(order, f"t{i}", qty, price))
    exact = sum((Fraction(q) * Fraction(p) for q, p in pieces), Fraction(0)) / sum(
        (Fraction(q) for q, _ in pieces), Fraction(0)
    )
    average = fills.average_fill_price
    assert average is not None
    assert abs(Fraction(average) - exact) <= Fraction(abs(average)) * Fraction(
        1, 10 ** (VWAP_PRECISION - 1)
    )
    assert Fraction(fills.notional) == sum(
        (Fraction(q) * Fraction(p) for q, p in pieces), Fraction(0)
    )


def test_fill_json_round_trip() -> None:
    fill = make_fill(make_order(), "t-1", "0.123", "95000.50", fee="0.0001", fee_asset="BTC")
    assert Fill.model_validate_json(fill.model_dump_json()) == fill
    assert fill.model_dump(mode="json")["executed_at"] == "2025-12-01T15:00:00Z"


def test_totals_stay_exact_beyond_28_significant_digits() -> None:
    order = make_order(quantity="99999999999999999999")
    fills = OrderFills(order.quantity)
    fills.add(make_fill(order, "t1", "500000", "2000000"))
    fills.add(make_fill(order, "t2", "0.00000001", "0.00000001"))
    fills.add(make_fill(order, "t3", "12345678901234567890.123456789012345678", "1"))
    assert fills.notional == Decimal("12345679901234567890.123456789012345778")
    assert fills.filled_quantity == Decimal("12345678901235067890.123456799012345678")
