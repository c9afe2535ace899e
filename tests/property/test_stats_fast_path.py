"""The report from execution rows equals the per-order report, exactly, on random ledgers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.ledger.stores.postgres import PostgresStore
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model.decimals import EXACT, decimal_text
from orderdesk.model.events import Acked, Cancelled, Expired, Filled, Rejected
from orderdesk.model.records import SubmitState
from orderdesk.ports import ExecutionRows, ExecutionTotalsPort, OrderPage, OrderQuery, Store
from orderdesk.stats import (
    Report,
    executions,
    executions_report,
    ledger_report,
    report,
    report_of_rows,
)
from orderdesk.testing.ledger_kit import T0, fill_of, make_group, order_in_group
from tests.conftest import POSTGRES_SKIP, POSTGRES_URL

ACCOUNT = "acct-1"


@dataclass(frozen=True)
class Spec:
    """One random order: how it is priced, sent, filled and how it ends."""

    symbol: str
    venue: str
    side: str
    kind: str
    arrival: str | None
    fills: tuple[tuple[int, str, int], ...]  # (quantity in thousandths, price, µs after T0)
    extra: int  # quantity left unfilled, in thousandths
    end: str
    sent_after: int | None


def _price(cents: int, places: int) -> str:
    text = str(cents).rjust(places + 1, "0")
    return f"{text[:-places]}.{text[-places:]}" if places else text


prices = st.builds(_price, st.integers(1, 2_000_000), st.sampled_from([0, 1, 2, 3, 7]))
specs = st.builds(
    Spec,
    symbol=st.sampled_from(["BTC_USDT", "ETH_USDT"]),
    venue=st.sampled_from(["paper", "loopback"]),
    side=st.sampled_from(["BUY", "SELL"]),
    kind=st.sampled_from(["MARKET", "LIMIT"]),
    arrival=st.none() | prices,
    fills=st.lists(st.tuples(st.integers(1, 5_000), prices, st.integers(0, 10**9)), max_size=3).map(
        tuple
    ),
    extra=st.integers(0, 3),
    end=st.sampled_from(["filled", "cancelled", "expired", "rejected", "open", "pending"]),
    sent_after=st.none() | st.integers(0, 10**8),
)
group_bys = st.lists(
    st.sampled_from(["symbol", "side", "order_type", "account", "venue"]), unique=True, max_size=3
)


def _record(ledger: Ledger, clock: ManualClock, number: int, spec: Spec) -> None:
    group = ledger.record_group(make_group(symbol=spec.symbol, side=spec.side))
    fills = () if spec.end == "rejected" else spec.fills
    filled = sum(quantity for quantity, _, _ in fills)
    # A "filled" order's fills complete it; any other keeps some quantity unfilled (or not).
    extra = 0 if spec.end == "filled" and fills else max(spec.extra, 0 if filled else 1)
    quantity = Decimal(filled + extra).scaleb(-3)
    order = order_in_group(
        group,
        T0 + timedelta(seconds=number),
        symbol=spec.symbol,
        side=spec.side,
        order_type=spec.kind,
        quantity=str(quantity),
        price=None if spec.kind == "MARKET" else "100.00",
    )
    ledger.record_order(
        ACCOUNT, order, venue=spec.venue, client_order_id=f"c{number}", arrival_price=spec.arrival
    )
    if spec.sent_after is not None:
        clock.advance(timedelta(microseconds=spec.sent_after))
        ledger.set_submit_state(ACCOUNT, order.order_id, SubmitState.SENT)
    at = T0 + timedelta(seconds=number)
    if spec.end != "pending":
        ledger.apply(ACCOUNT, order.order_id, Acked(at, f"V{number}"))
    for n, (part, price, after) in enumerate(fills):
        fill = fill_of(
            order, str(Decimal(part).scaleb(-3)), f"t{number}-{n}", price,
            at + timedelta(microseconds=after),
        )  # fmt: skip
        ledger.apply(ACCOUNT, order.order_id, Filled(fill))
    if spec.end == "cancelled":
        ledger.apply(ACCOUNT, order.order_id, Cancelled(at + timedelta(hours=1)))
    elif spec.end == "expired":
        ledger.apply(ACCOUNT, order.order_id, Expired(at + timedelta(hours=1)))
    elif spec.end == "rejected":
        ledger.apply(ACCOUNT, order.order_id, Rejected(at, "no"))


class _WithoutRows:
    """A store that offers neither the ExecutionRows nor the ExecutionTotals port: the
    Ledger builds every row from the order records, in Python. ``loads`` counts the pages
    of records it read."""

    HIDDEN = frozenset({"execution_rows", "execution_totals"})

    def __init__(self, store: Store) -> None:
        self._store = store
        self.loads = 0

    def load(
        self, account: str, query: OrderQuery, cursor: str | None = None, limit: int = 1000
    ) -> OrderPage:
        self.loads += 1
        return self._store.load(account, query, cursor, limit)

    def __getattr__(self, name: str) -> Any:
        if name in self.HIDDEN:
            raise AttributeError(name)
        return getattr(self._store, name)


PORTS = {  # (offers ExecutionRows, offers ExecutionTotals)
    MemoryStore: (True, False),  # sums its rows in Python
    SqliteStore: (True, True),  # sums in SQL
    _WithoutRows: (False, False),  # the Ledger builds the rows from records
}


def _ledgers(specs: list[Spec]) -> Iterator[Ledger]:
    for store in (MemoryStore(), SqliteStore(":memory:", synchronous="NORMAL")):
        clock = ManualClock(T0)
        ledger = Ledger(store, clock)
        for number, spec in enumerate(specs):
            _record(ledger, clock, number, spec)
        yield ledger
        yield Ledger(_WithoutRows(store), clock)


def _per_order(ledger: Ledger, **window: Any) -> Report:
    found = list(executions(ledger, ACCOUNT))  # a list: report() measures each order
    return report(found, **window)


@settings(max_examples=40, deadline=None)
@given(st.lists(specs, max_size=12), group_bys, st.integers(0, 12))
def test_the_report_from_rows_is_the_per_order_report(
    orders: list[Spec], group_by: list[str], cut: int
) -> None:
    for ledger in _ledgers(orders):
        store = ledger.store
        ports = (isinstance(store, ExecutionRows), isinstance(store, ExecutionTotalsPort))
        assert ports == PORTS[type(store)]
        expected = _per_order(ledger, group_by=group_by)
        loads = store.loads if isinstance(store, _WithoutRows) else 0
        fast = ledger_report(ledger, ACCOUNT, group_by=group_by)
        if isinstance(store, _WithoutRows):  # the rows were built from the records
            assert store.loads == loads + 1
        assert fast == expected
        assert fast.to_json() == expected.to_json()  # the same digits, not only equal values
        assert report(executions(ledger, ACCOUNT), group_by=group_by) == expected
        from_sums = executions_report(executions(ledger, ACCOUNT), group_by=group_by)
        assert from_sums.to_json() == expected.to_json()
        start, end = T0 + timedelta(seconds=cut // 2), T0 + timedelta(seconds=cut)
        windowed = report(executions(ledger, ACCOUNT), start=start, end=end, group_by=group_by)
        assert windowed == _per_order(ledger, start=start, end=end, group_by=group_by)
        found = executions(ledger, ACCOUNT, start=start)
        from_sums = executions_report(found, start=start, end=end, group_by=group_by)
        assert (
            from_sums.to_json() == report(found, start=start, end=end, group_by=group_by).to_json()
        )


@pytest.mark.postgres
@pytest.mark.skipif(POSTGRES_URL is None, reason=POSTGRES_SKIP)
@settings(max_examples=20, deadline=None)
@given(st.lists(specs, max_size=10), group_bys, st.integers(0, 10))
def test_postgres_sums_give_the_per_order_report(
    orders: list[Spec], group_by: list[str], cut: int
) -> None:
    """PostgreSQL's exact NUMERIC sums per group give the per-order report, digit for digit."""
    assert POSTGRES_URL is not None
    schema = f"test_{uuid.uuid4().hex[:16]}"
    store = PostgresStore(POSTGRES_URL, schema=schema)
    try:
        clock = ManualClock(T0)
        ledger = Ledger(store, clock)
        for number, spec in enumerate(orders):
            _record(ledger, clock, number, spec)
        assert isinstance(store, ExecutionTotalsPort)
        expected = _per_order(ledger, group_by=group_by)
        assert ledger_report(ledger, ACCOUNT, group_by=group_by).to_json() == expected.to_json()
        start, end = T0 + timedelta(seconds=cut // 2), T0 + timedelta(seconds=cut)
        windowed = report(executions(ledger, ACCOUNT), start=start, end=end, group_by=group_by)
        assert windowed == _per_order(ledger, start=start, end=end, group_by=group_by)
        from_sums = executions_report(
            executions(ledger, ACCOUNT), start=start, end=end, group_by=group_by
        )
        assert from_sums.to_json() == windowed.to_json()
    finally:
        store.close()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_an_iterated_ledger_executions_is_measured_order_by_order() -> None:
    clock = ManualClock(T0)
    ledger = Ledger(MemoryStore(), clock)
    spec = Spec("BTC_USDT", "paper", "BUY", "MARKET", "99.5", ((1000, "100", 5),), 0, "filled", 1)
    _record(ledger, clock, 0, spec)
    found = executions(ledger, ACCOUNT)
    first = next(found)
    assert not found.untouched
    assert report([first]).groups[()].slippage_mean_bps == Decimal("50.251256")
    assert report(found).groups == {}  # the rest: nothing left
    assert executions_report(found).groups[()].orders == 1  # the selection, read or not
    with pytest.raises(StopIteration):
        next(found)


_RATIO = Context(prec=40, rounding=ROUND_HALF_EVEN)
_SCALE = Decimal(10_000 * 10**6)


def _decimal_units(side: str, arrival: Decimal, filled: Decimal, notional: Decimal) -> int:
    """measure()'s computation: average and bps to 40 digits, then half-even to 1e-6 bps."""
    average = _RATIO.divide(notional, filled)
    scale = _SCALE if side == "BUY" else -_SCALE
    return round(_RATIO.divide(EXACT.multiply(EXACT.subtract(average, arrival), scale), arrival))


def _one_row(side: str, arrival: Decimal, filled: Decimal, notional: Decimal) -> Decimal | None:
    row = ("", "FILLED", side, decimal_text(arrival), decimal_text(filled),
           decimal_text(notional), "2026-01-05T09:00:00.000000+00:00", None)  # fmt: skip
    return report_of_rows([row]).groups[()].slippage_median_bps


def _positive(integer_digits: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(1, 10 ** (integer_digits + places) - 1).map(
        lambda coefficient: Decimal(coefficient).scaleb(-places)
    )


decimals = st.integers(0, 18).flatmap(lambda places: _positive(20 - places // 2, places))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["BUY", "SELL"]), decimals, decimals, decimals)
def test_slippage_from_rows_is_measures_for_any_scale(
    side: str, arrival: Decimal, filled: Decimal, notional: Decimal
) -> None:
    """From 1e-18 to 1e20, a row's slippage is measure()'s computation, digit for digit."""
    units = _decimal_units(side, arrival, filled, notional)
    assume(abs(units) < 10**36)  # beyond 1e30 bps is no price: the report's 40 digits end
    expected = EXACT.scaleb(Decimal(units), -6)
    assert _one_row(side, arrival, filled, notional) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["BUY", "SELL"]),
    _positive(7, 2),
    _positive(4, 5),
    st.integers(-(10**9), 10**9),
)
def test_a_slippage_exactly_half_way_rounds_half_even(
    side: str, arrival: Decimal, filled: Decimal, units: int
) -> None:
    """A notional whose slippage is exactly units + 1/2 (of 1e-6 bps) rounds to the even
    neighbour, as measure() does."""
    sign = 1 if side == "BUY" else -1
    half_way = Decimal(2 * units + 1) / 2 * sign  # in units, before rounding
    notional = EXACT.multiply(
        EXACT.multiply(filled, arrival), EXACT.add(1, EXACT.divide(half_way, _SCALE))
    )
    assert notional > 0
    rounded = units if units % 2 == 0 else units + 1
    assert _decimal_units(side, arrival, filled, notional) == rounded
    assert _one_row(side, arrival, filled, notional) == EXACT.scaleb(Decimal(rounded), -6)
