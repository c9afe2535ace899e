"""An account's orders summed up per group, for execution statistics over a million orders.

Three figures of each order are kept on its row when it is written (ledger schema 4), so
that a store can sum an account's orders inside the database without building a Python
object per order (:func:`order_figures`):

* ``slippage_units``: the order's slippage in 1e-6 bps, exactly as ``measure()`` computes it
  (the average price to 40 significant digits, bps to 40, rounded half-even), when it has
  one (an arrival price and a fill) and its size is below 2**53; ``None`` otherwise;
* ``slipped_notional``: the order's notional as the nearest float, when the order has a
  slippage figure (of any size), else ``None``. It is a filter, never an answer: a store
  adds ``slipped_notional x slippage_units`` in floating point, bounds the rounding error,
  and gives the notional-weighted slippage only when every value inside the bound rounds to
  the same figure (:func:`weighted_bps_of_floats`); otherwise it adds the exact notionals;
* ``fill_time_us``: microseconds from submit (``sent_at``, else ``created_at``) to the
  latest fill, for a FILLED order only.

:class:`ExecutionTotals` is one group's sums: outcome counts, the ascending slippages and
fill times (a percentile reads two of them) and the weighted slippage figure.
:func:`totals_of_rows` computes them from execution rows (:mod:`.execution_rows`); a store
that sums in its database gives exactly the same values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Final

from orderdesk.model.decimals import EXACT
from orderdesk.model.execution_rows import ExecutionRow
from orderdesk.model.records import OrderRecord

__all__ = [
    "BPS_PLACES",
    "FLOAT_EXACT",
    "RATIO",
    "ExecutionTotals",
    "execution_figures",
    "fill_time_us",
    "order_figures",
    "round_figure",
    "slippage_units",
    "submitted_within",
    "totals_of_rows",
    "weighted_bps",
    "weighted_bps_of_floats",
    "weighted_bps_of_units",
]

BPS_PLACES: Final = 6
"""Decimal places of every bps figure (and of seconds): 1e-6."""
RATIO: Final = Context(prec=40, rounding=ROUND_HALF_EVEN)
"""Ratios are computed to 40 significant digits, then rounded half-even to ``BPS_PLACES``."""
FLOAT_EXACT: Final = 2**53
"""Integers of smaller size are exact floats: a slippage this large is not kept as units."""

_QUANTUM: Final = Decimal(1).scaleb(-BPS_PLACES)
# sign x (average - arrival) x 10,000 / arrival in 1e-6 bps: scaling by 10**6 before the
# division and rounding to an integer is measure()'s computation rounded to 1e-6 bps.
_BUY: Final = Decimal(10_000 * 10**BPS_PLACES)
_SELL: Final = -_BUY
_MICROSECOND: Final = timedelta(microseconds=1)
_ZERO: Final = Decimal(0)


def round_figure(value: Decimal) -> Decimal:
    """Round a figure half-even to ``BPS_PLACES`` decimal places."""
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=RATIO)


def slippage_units(side: str, arrival: Decimal, filled: Decimal, notional: Decimal) -> int:
    """Return the slippage of ``filled`` for ``notional`` against ``arrival`` in 1e-6 bps,
    positive when it cost the trader (``filled`` must not be zero)."""
    average = RATIO.divide(notional, filled)
    scale = _BUY if side == "BUY" else _SELL
    return round(RATIO.divide(EXACT.multiply(EXACT.subtract(average, arrival), scale), arrival))


def fill_time_us(submitted: datetime, filled: datetime) -> int:
    """Return the microseconds from ``submitted`` to ``filled``."""
    return (filled - submitted) // _MICROSECOND


def execution_figures(
    side: str,
    status: str,
    *,
    arrival: Decimal | None,
    filled: Decimal,
    notional: Decimal,
    submitted: datetime,
    last_fill: datetime | None,
) -> tuple[int | None, float | None, int | None]:
    """Return ``(slippage_units, slipped_notional, fill_time_us)`` of an order from its side,
    status, arrival price, filled quantity, notional, submit time and latest fill."""
    units = approximate = elapsed = None
    if arrival is not None and filled:
        slippage = slippage_units(side, arrival, filled, notional)
        units = slippage if -FLOAT_EXACT < slippage < FLOAT_EXACT else None
        approximate = float(notional)
    if status == "FILLED" and last_fill is not None:
        elapsed = fill_time_us(submitted, last_fill)
    return units, approximate, elapsed


def order_figures(record: OrderRecord) -> tuple[int | None, float | None, int | None]:
    """Return ``(slippage_units, slipped_notional, fill_time_us)`` kept on the order's row."""
    order = record.order
    return execution_figures(
        order.side.value,
        order.status.value,
        arrival=record.arrival_price,
        filled=record.filled_quantity,
        notional=record.notional,
        submitted=record.sent_at or order.created_at,
        last_fill=record.last_fill_at,
    )


def weighted_bps(weighted: Decimal, notional: Decimal) -> Decimal | None:
    """Return the notional-weighted slippage in bps from the exact sums of ``notional x
    slippage in bps`` and of ``notional``; ``None`` without notional."""
    return round_figure(RATIO.divide(weighted, notional)) if notional else None


def weighted_bps_of_units(weighted: Decimal, notional: Decimal) -> Decimal | None:
    """:func:`weighted_bps` from the exact sum of ``notional x slippage units`` (1e-6 bps)."""
    return weighted_bps(EXACT.scaleb(weighted, -BPS_PLACES), notional)


_ROUNDING_ROOM: Final = Fraction(1, 10**38)  # beyond any 40-digit intermediate rounding
_UNIT: Final = Fraction(1, 2**52)  # twice a double's unit roundoff
_TINY: Final = Fraction(1, 2**960)  # beyond any error of an underflowing product or sum


def weighted_bps_of_floats(
    weighted: float, notional: float, count: int, largest: int
) -> Decimal | None:
    """Return the notional-weighted slippage in bps from float sums, or ``None`` when the
    floats cannot decide it (the caller then adds the exact values).

    ``weighted`` is the float sum of ``float(notional) x units`` over ``count`` orders,
    ``notional`` the float sum of their ``float(notional)``, ``largest`` the largest size
    of their units (each below 2**53, so exact as a float). Each notional is within half a
    unit roundoff ``u`` of its exact value, each product adds one rounding, and a sum of
    ``count`` terms in any order is within ``(count - 1) u / (1 - (count - 1) u)`` of the
    sum of their sizes (Higham, Accuracy and Stability of Numerical Algorithms, 4.2). With
    ``eps = (count + 4) x 2u`` the exact sums lie within ``eps x largest x N + tiny`` and
    ``eps x N + tiny`` of the floats, where ``N``, the exact sum of the notionals, is at
    most twice the float sum. The figure is given only if both ends of the resulting range
    of ratios, widened past any 40-digit rounding, round to the same 1e-6 bps.
    """
    if count == 0 or not (abs(weighted) < float("inf") and 0 < notional < float("inf")):
        return None
    eps = (count + 4) * _UNIT
    if eps >= Fraction(1, 4):
        return None
    total = 2 * Fraction(notional)  # at least the exact sum of the notionals
    error_weighted = eps * largest * total + count * _TINY
    error_notional = eps * total + count * _TINY
    w, n = Fraction(weighted), Fraction(notional)
    low_n, high_n = n - error_notional, n + error_notional
    if low_n <= 0:
        return None
    low_w, high_w = w - error_weighted, w + error_weighted
    low = low_w / (high_n if low_w >= 0 else low_n)
    high = high_w / (low_n if high_w >= 0 else high_n)
    room = max(abs(low), abs(high)) * _ROUNDING_ROOM
    first, last = round(low - room), round(high + room)  # Fraction rounds half-even
    if first != last:
        return None
    return EXACT.scaleb(Decimal(first), -BPS_PLACES)


@dataclass(slots=True)
class ExecutionTotals:
    """One group's sums: orders by status, ascending slippages (1e-6 bps) and fill times
    (µs) of the orders that have one, and the notional-weighted slippage in bps."""

    outcomes: dict[str, int] = field(default_factory=dict)
    slippages: list[int] = field(default_factory=list)
    fill_times: list[int] = field(default_factory=list)
    weighted_bps: Decimal | None = None

    @classmethod
    def of_lists(
        cls, statuses: str, slippages: str | None, fill_times: str | None
    ) -> ExecutionTotals:
        """Return the totals of a database's comma-separated lists (statuses, slippage
        units, fill times in µs); the weighted slippage is left to the caller."""
        return cls(
            outcomes=dict(Counter(statuses.split(","))),
            slippages=sorted(map(int, slippages.split(","))) if slippages else [],
            fill_times=sorted(map(int, fill_times.split(","))) if fill_times else [],
        )


def submitted_within(
    rows: Iterable[ExecutionRow], start: datetime | None, end: datetime | None
) -> Iterator[ExecutionRow]:
    """Yield the rows of orders submitted in ``[start, end)``."""
    # Fixed-width UTC text: comparing the text compares the times.
    low = "" if start is None else start.astimezone(UTC).isoformat(timespec="microseconds")
    high = None if end is None else end.astimezone(UTC).isoformat(timespec="microseconds")
    for row in rows:
        if row[6] >= low and (high is None or row[6] < high):
            yield row


def totals_of_rows(rows: Iterable[ExecutionRow]) -> dict[str, ExecutionTotals]:
    """Return each key's totals over execution rows, exactly (the key as the rows carry it)."""
    groups: dict[str, tuple[ExecutionTotals, list[Decimal]]] = {}
    number, parse = Decimal, datetime.fromisoformat
    multiply, add = EXACT.multiply, EXACT.add
    for key, status, side, arrival, filled, notional, submitted, filled_at in rows:
        entry = groups.get(key)
        if entry is None:
            entry = groups[key] = (ExecutionTotals(), [_ZERO, _ZERO])
        totals, sums = entry
        outcomes = totals.outcomes
        outcomes[status] = outcomes.get(status, 0) + 1
        if arrival is not None and filled != "0":
            value = number(notional)
            units = slippage_units(side, number(arrival), number(filled), value)
            totals.slippages.append(units)
            sums[0] = add(sums[0], multiply(value, units))
            sums[1] = add(sums[1], value)
        if filled_at is not None:
            totals.fill_times.append(fill_time_us(parse(submitted), parse(filled_at)))
    out = {}
    for key, (totals, (weighted, slipped)) in groups.items():
        totals.slippages.sort()
        totals.fill_times.sort()
        totals.weighted_bps = weighted_bps_of_units(weighted, slipped)
        out[key] = totals
    return out
