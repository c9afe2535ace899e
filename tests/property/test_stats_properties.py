"""Execution-quality properties: zero at arrival, mirror symmetry, mergeable windows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderdesk import Fill, OrderStatus, OrderType, Side
from orderdesk.stats import Execution, measure
from orderdesk.stats.report import Summary
from orderdesk.testing.factories import T0
from orderdesk.testing.strategies import decimal_texts

OID = "ORD_20251201_150000_0000abcd"
prices = decimal_texts(6, 4).map(Decimal).filter(lambda p: p > 1)
quantities = decimal_texts(3, 4).map(Decimal)


def one_fill_execution(side: Side, arrival: Decimal, price: Decimal, qty: Decimal) -> Execution:
    fill = Fill(order_id=OID, trade_id="t", quantity=qty, price=price, executed_at=T0)
    return Execution(
        order_id=OID, account="a", venue="paper", symbol="BTC_USDT", side=side,
        order_type=OrderType.MARKET, quantity=qty, status=OrderStatus.FILLED,
        base_asset="BTC", quote_asset="USDT", submitted_at=T0, arrival_price=arrival,
        fills=(fill,),
    )  # fmt: skip


@given(st.sampled_from(Side), prices, quantities)
def test_a_fill_at_the_arrival_price_has_zero_slippage(
    side: Side, arrival: Decimal, qty: Decimal
) -> None:
    quality = measure(one_fill_execution(side, arrival, arrival, qty))
    assert quality.slippage_bps == 0
    assert quality.shortfall == 0


@given(prices, st.integers(1, 999), quantities)
def test_mirroring_side_and_price_keeps_the_cost_and_flips_only_the_raw_difference(
    arrival: Decimal, per_mille: int, qty: Decimal
) -> None:
    offset = arrival * per_mille / 1000  # below the arrival price, exact at these sizes
    buy = measure(one_fill_execution(Side.BUY, arrival, arrival + offset, qty))
    sell = measure(one_fill_execution(Side.SELL, arrival, arrival - offset, qty))
    assert buy.slippage_bps == sell.slippage_bps
    assert buy.shortfall == sell.shortfall
    assert buy.average_price is not None
    assert sell.average_price is not None
    assert buy.average_price - arrival == -(sell.average_price - arrival)
    same_price_sell = measure(one_fill_execution(Side.SELL, arrival, arrival + offset, qty))
    assert same_price_sell.slippage_bps == -buy.slippage_bps  # type: ignore[operator]


executions = st.builds(
    lambda side, arrival, price, qty, filled, secs: Execution(
        order_id=OID, account="a", venue="paper", symbol="BTC_USDT", side=side,
        order_type=OrderType.MARKET, quantity=qty,
        status=OrderStatus.FILLED if filled else OrderStatus.CANCELLED,
        base_asset="BTC", quote_asset="USDT", submitted_at=T0, arrival_price=arrival,
        fills=(Fill(order_id=OID, trade_id="t", quantity=qty, price=price,
                    executed_at=T0 + timedelta(seconds=secs)),) if filled else (),
    ),
    st.sampled_from(Side), prices, prices, quantities, st.booleans(), st.integers(0, 600),
)  # fmt: skip


@given(st.lists(executions, max_size=12), st.lists(executions, max_size=12))
def test_merging_two_windows_agrees_with_their_union(
    first: list[Execution], second: list[Execution]
) -> None:
    left, right, union = Summary(), Summary(), Summary()
    for execution in first:
        left.add(measure(execution))
    for execution in second:
        right.add(measure(execution))
    for execution in first + second:
        union.add(measure(execution))
    merged = left.merge(right)
    assert merged.orders == union.orders
    assert merged.outcomes == union.outcomes
    assert merged.slippage_sum == union.slippage_sum
    assert merged.weighted_slippage_sum == union.weighted_slippage_sum
    assert merged.slipped_notional == union.slipped_notional
    assert merged.fill_time_sum == union.fill_time_sum
    assert sorted(merged.slippages) == sorted(union.slippages)
    assert merged.stats() == union.stats()
