"""ccxt's symbols, numbers, times and precisions read back exactly (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("ccxt")

from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TICK_SIZE

from orderdesk.venues.ccxt.parsing import (
    from_ccxt_symbol,
    market_from_ccxt,
    ms,
    number,
    time_from_ms,
    to_ccxt_symbol,
)

ASSETS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)
AMOUNTS = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(10**12), places=8)


@given(ASSETS, ASSETS)
def test_a_symbol_maps_to_ccxt_and_back(base: str, quote: str) -> None:
    ours = f"{base}_{quote}"
    assert to_ccxt_symbol(ours) == f"{base}/{quote}"
    assert from_ccxt_symbol(to_ccxt_symbol(ours)) == ours


@pytest.mark.parametrize("symbol", ["BTC/USDT:USDT", "1INCH/USDT", "btc/usdt", "BTCUSDT"])
def test_a_market_orderdesk_cannot_name_has_no_symbol(symbol: str) -> None:
    assert from_ccxt_symbol(symbol) is None


@given(AMOUNTS)
def test_ccxts_numbers_read_exactly_as_text_and_as_floats(amount: Decimal) -> None:
    assert number(format(amount, "f")) == amount
    as_float = float(amount)
    assert number(as_float) == Decimal(repr(as_float))  # the float's shortest spelling
    assert number(None) is None


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_times_go_to_epoch_milliseconds_and_back(naive: datetime) -> None:
    at = naive.replace(microsecond=naive.microsecond // 1000 * 1000, tzinfo=UTC)
    assert time_from_ms(ms(at)) == at
    assert time_from_ms(str(ms(at))) == at
    assert time_from_ms(None, fallback=at) == at


@given(st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=12))
def test_decimal_places_and_tick_sizes_give_the_same_filters(price: int, amount: int) -> None:
    tick, step = Decimal(1).scaleb(-price), Decimal(1).scaleb(-amount)
    places = {"symbol": "BTC/USDT", "precision": {"price": price, "amount": amount}}
    ticks = {"symbol": "BTC/USDT", "precision": {"price": str(tick), "amount": str(step)}}
    by_places = market_from_ccxt(places, DECIMAL_PLACES)
    by_ticks = market_from_ccxt(ticks, TICK_SIZE)
    assert by_places is not None
    assert by_places == by_ticks
    assert (by_places.tick_size, by_places.step_size, by_places.min_quantity) == (tick, step, step)
    assert by_places.violation(step, tick) is None
    assert by_places.min_notional == 0
