"""The report as pandas and polars frames, and the execution-quality chart as a PNG."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import polars

from orderdesk.stats import report
from orderdesk.stats.charts import plot_quality
from tests.unit.test_stats import BUY_CANCELLED, BUY_FILLED, SELL_MARKET, SELL_PARTIAL

ALL = [BUY_FILLED, SELL_MARKET, BUY_CANCELLED, SELL_PARTIAL]


def test_to_pandas_keeps_exact_decimals_and_can_give_floats() -> None:
    result = report(ALL, group_by=["side"])
    frame = result.to_pandas()
    assert list(frame["side"]) == ["BUY", "SELL"]
    assert list(frame["orders"]) == [2, 2]
    assert list(frame["slippage_mean_bps"]) == [D("32.000000"), D("-22.375622")]
    floats = result.to_pandas(floats=True)
    assert str(floats["slippage_p99_bps"].dtype) == "float64"
    assert floats["slippage_p99_bps"].tolist()[1] == 4.452488


def test_to_polars_has_exact_decimal_columns() -> None:
    frame = report(ALL, group_by=["side", "order_type"]).to_polars()
    assert frame.columns[:3] == ["side", "order_type", "orders"]
    assert frame.schema["slippage_weighted_bps"] == polars.Decimal(38, 6)
    sell_market = frame.filter(
        (polars.col("side") == "SELL") & (polars.col("order_type") == "MARKET")
    )
    assert sell_market["slippage_mean_bps"].to_list() == [D("5.000000")]
    assert sell_market["fill_time_count"].to_list() == [1]


def test_the_chart_is_a_png_with_both_panels(tmp_path: Path) -> None:
    path = plot_quality(ALL, tmp_path / "quality.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (1100, 420)
