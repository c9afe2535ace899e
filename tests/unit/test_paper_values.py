"""The venue's quick builders make the very values the dataclass constructors make."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderdesk.model import (
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    Liquidity,
    OrderStatus,
    RejectCode,
    ReportKind,
    Side,
    SubmitResult,
    VenueFill,
)
from orderdesk.venues.paper.feeds import Quote, _quote
from orderdesk.venues.paper.values import (
    cancel_result,
    execution_report,
    submit_result,
    venue_fill,
)

T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
decimals = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(10**9), places=8)
times = st.integers(0, 10**9).map(lambda us: T0 + timedelta(microseconds=us))
texts = st.text("abc123_-", min_size=1, max_size=12)
assets = st.text("ABC123", min_size=1, max_size=12)  # a VenueFill refuses other fee assets


def _same(built: object, constructed: object) -> None:
    assert type(built) is type(constructed)
    assert built == constructed
    assert repr(built) == repr(constructed)
    assert hash(built) == hash(constructed)
    assert pickle.loads(pickle.dumps(built)) == constructed
    name = dataclasses.fields(constructed)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, name, None)


fills = st.builds(
    lambda *a: (a, VenueFill(*a)),
    texts, texts, texts, texts, st.sampled_from(Side), decimals, decimals, decimals, assets,
    st.sampled_from(Liquidity), times,
)  # fmt: skip


@given(fills)
def test_a_fill_is_the_constructor_s_fill(fill: tuple[tuple[object, ...], VenueFill]) -> None:
    args, constructed = fill
    _same(venue_fill(*args), constructed)  # type: ignore[arg-type]


@given(
    st.tuples(
        st.integers(1, 10**9), st.sampled_from(ReportKind), times, texts, texts, texts,
        st.sampled_from(OrderStatus), decimals, st.none() | fills.map(lambda f: f[1]),
    )
)  # fmt: skip
def test_a_report_is_the_constructor_s_report(args: tuple[Any, ...]) -> None:
    built = execution_report(*args)
    _same(built, ExecutionReport(*args))
    assert (built.reason, built.code) == ("", None)
    assert built.to_json() == ExecutionReport(*args).to_json()


@given(
    st.tuples(
        texts, st.sampled_from(OrderStatus), times, st.none() | texts,
        st.none() | st.sampled_from(RejectCode), texts,
        st.lists(fills.map(lambda f: f[1]), max_size=3).map(tuple),
    )
)  # fmt: skip
def test_a_submit_result_is_the_constructor_s(args: tuple[Any, ...]) -> None:
    built = submit_result(*args)
    _same(built, SubmitResult(*args))
    assert built.accepted is (args[1] is not OrderStatus.REJECTED)


@given(
    st.sampled_from(CancelOutcome), times, st.none() | texts, st.none() | texts,
    st.none() | st.sampled_from(OrderStatus),
)  # fmt: skip
def test_a_cancel_result_is_the_constructor_s(
    outcome: CancelOutcome,
    at: datetime,
    venue_order_id: str | None,
    client_order_id: str | None,
    status: OrderStatus | None,
) -> None:
    args = (outcome, at, venue_order_id, client_order_id, status)
    _same(cancel_result(*args), CancelResult(*args))


@given(times, texts, st.lists(st.tuples(decimals, decimals), max_size=3))
def test_a_quote_read_from_csv_is_the_constructor_s(
    at: datetime, symbol: str, levels: list[tuple[Decimal, Decimal]]
) -> None:
    bids, asks = tuple(levels), tuple(reversed(levels))
    _same(_quote(at, symbol, bids, asks), Quote(at, symbol, bids, asks))
