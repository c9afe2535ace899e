"""Execution-quality figures against hand-computed fixtures."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest

from orderdesk import Fill, Liquidity, OrderStatus, OrderType, Side
from orderdesk.stats import Execution, measure, parse_window, report
from orderdesk.testing.factories import T0

ORDER_IDS = {
    1: "ORD_20251201_150000_00000001",
    2: "ORD_20251201_150000_00000002",
    3: "ORD_20251201_150000_00000003",
    4: "ORD_20251201_150000_00000004",
}


def fill(
    n: int,
    trade: str,
    qty: str,
    price: str,
    after: float,
    *,
    fee: str = "0",
    asset: str | None = None,
) -> Fill:
    return Fill(
        order_id=ORDER_IDS[n],
        trade_id=trade,
        quantity=qty,
        price=price,
        fee=fee,
        fee_asset=asset,
        liquidity=Liquidity.TAKER,
        executed_at=T0 + timedelta(seconds=after),
    )


def execution(
    n: int, side: Side, kind: OrderType, qty: str, status: OrderStatus, **extra: object
) -> Execution:
    base, quote = ("BTC", "USDT") if n != 2 else ("ETH", "USDT")
    return Execution(
        order_id=ORDER_IDS[n],
        account="acct-1",
        venue="paper",
        symbol=f"{base}_{quote}",
        side=side,
        order_type=kind,
        quantity=D(qty),
        status=status,
        base_asset=base,
        quote_asset=quote,
        submitted_at=T0,
        **extra,  # type: ignore[arg-type]
    )


# 1: BUY LIMIT 1 @ 100.50, arrival 100.00, filled 0.4 @ 100.20 and 0.6 @ 100.40.
BUY_FILLED = execution(
    1, Side.BUY, OrderType.LIMIT, "1", OrderStatus.FILLED,
    limit_price=D("100.50"), arrival_price=D("100.00"), acked_at=T0 + timedelta(milliseconds=50),
    fills=(
        fill(1, "a", "0.4", "100.20", 1, fee="0.04", asset="USDT"),
        fill(1, "b", "0.6", "100.40", 3.5, fee="0.0006", asset="BTC"),
    ),
)  # fmt: skip
# 2: SELL MARKET 2 ETH, arrival 3000, filled 1.5 @ 2999 and 0.5 @ 2997; one fee in BNB.
SELL_MARKET = execution(
    2, Side.SELL, OrderType.MARKET, "2", OrderStatus.FILLED, arrival_price=D("3000.00"),
    fills=(
        fill(2, "c", "1.5", "2999.00", 0.2, fee="0.5", asset="USDT"),
        fill(2, "d", "0.5", "2997.00", 0.4, fee="0.1", asset="BNB"),
    ),
)  # fmt: skip
# 3: BUY LIMIT cancelled unfilled.
BUY_CANCELLED = execution(
    3, Side.BUY, OrderType.LIMIT, "1", OrderStatus.CANCELLED,
    limit_price=D("99"), arrival_price=D("100.00"),
)  # fmt: skip
# 4: SELL LIMIT 1 @ 100, arrival 100.5, 0.25 filled @ 101 then cancelled.
SELL_PARTIAL = execution(
    4, Side.SELL, OrderType.LIMIT, "1", OrderStatus.CANCELLED,
    limit_price=D("100"), arrival_price=D("100.5"), fills=(fill(4, "e", "0.25", "101", 2),),
)  # fmt: skip


def test_buy_limit_filled_in_two_pieces() -> None:
    quality = measure(BUY_FILLED)
    assert quality.filled_quantity == D("1.0")
    assert quality.notional == D("100.3200")
    assert quality.average_price == D("100.32")
    assert quality.slippage_bps == D("32.000000")  # (100.32 - 100) / 100
    assert quality.improvement_bps == D("17.910448")  # (100.50 - 100.32) / 100.50
    assert quality.fees_in_quote == D("0.100240")  # 0.04 + 0.0006 x 100.40
    assert quality.shortfall == D("0.42024")  # 100.32 - 100 + fees
    assert quality.fill_ratio == 1
    assert (quality.time_to_ack, quality.time_to_first_fill, quality.time_to_fill) == (
        D("0.05"),
        D("1"),
        D("3.5"),
    )


def test_sell_market_costs_are_positive_and_unpriced_fees_are_listed() -> None:
    quality = measure(SELL_MARKET)
    assert quality.average_price == D("2998.5")
    assert quality.slippage_bps == D("5.000000")  # (3000 - 2998.5) / 3000
    assert quality.improvement_bps is None
    assert quality.shortfall == D("3.5")  # -(5997 - 6000) + 0.5
    assert dict(quality.unpriced_fees) == {"BNB": D("0.1")}
    assert quality.time_to_fill == D("0.4")


def test_an_unfilled_order_has_no_slippage_and_no_fill_time() -> None:
    quality = measure(BUY_CANCELLED)
    assert (quality.average_price, quality.slippage_bps, quality.shortfall) == (None, None, None)
    assert quality.fill_ratio == 0
    assert quality.time_to_fill is None


def test_a_sell_filled_above_arrival_has_negative_slippage_and_counts_no_fill_time() -> None:
    quality = measure(SELL_PARTIAL)
    assert quality.slippage_bps == D("-49.751244")  # (100.5 - 101) / 100.5
    assert quality.improvement_bps == D("100.000000")  # (101 - 100) / 100
    assert quality.fill_ratio == D("0.25")
    assert quality.time_to_first_fill == D("2")
    assert quality.time_to_fill is None


def test_report_by_side() -> None:
    result = report([BUY_FILLED, SELL_MARKET, BUY_CANCELLED, SELL_PARTIAL], group_by=["side"])
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
    assert sell.slippage_mean_bps == D("-22.375622")
    assert sell.slippage_median_bps == D("-22.375622")
    assert sell.slippage_p90_bps == D("-0.475124")
    assert sell.slippage_p99_bps == D("4.452488")
    assert sell.slippage_weighted_bps == D("4.770440")
    assert sell.fill_time_count == 1
    assert sell.fill_time_p99_s == D("0.400000")
    assert sell.outcomes == {"CANCELLED": 1, "FILLED": 1}


def test_report_window_and_json() -> None:
    late = execution(3, Side.BUY, OrderType.LIMIT, "1", OrderStatus.REJECTED, limit_price=D(1))
    late = Execution(
        **{**{s: getattr(late, s) for s in late.__slots__}, "submitted_at": T0 + timedelta(hours=2)}
    )
    result = report([BUY_FILLED, late], start=T0, end=T0 + timedelta(hours=1))
    (stats,) = result.groups.values()
    assert stats.orders == 1
    payload = json.loads(result.to_json())
    assert payload["group_by"] == []
    assert payload["groups"][0]["slippage_mean_bps"] == "32.000000"
    assert payload["groups"][0]["orders"] == 1


def test_grouping_by_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot group by \\['strategy'\\]"):
        report([], group_by=["strategy"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("7d", timedelta(days=7)),
    ],
)
def test_windows_parse(text: str, expected: timedelta) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize("bad", ["", "1", "h", "0h", "1.5h", "-1h", "1w", "1 h"])
def test_bad_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a number and a unit"):
        parse_window(bad)
