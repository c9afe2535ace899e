"""The report straight from a Ledger's execution rows: one pass, exact, no object per order.

It gives exactly the :class:`~orderdesk.stats.report.Report` that :func:`measure` and
:class:`~orderdesk.stats.report.Summary` give for the same orders, figure for figure and
digit for digit, only faster:

* an order's slippage is the same Decimal computation (average price to 40 significant
  digits, bps to 40, rounded half-even to ``BPS_PLACES``) kept as an integer count of
  1e-6 bps, so that values sort and add as integers;
* time to fill is an integer count of microseconds;
* sums are exact (integers, and Decimal products of a notional and an integer) and become
  Decimals once per group; a percentile reads only its two neighbouring values as Decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Final

from orderdesk.ledger import Ledger
from orderdesk.model.decimals import EXACT
from orderdesk.model.execution_rows import KEY_SEPARATOR, ExecutionRow, check_keys
from orderdesk.ports import OrderQuery
from orderdesk.stats.quality import BPS_PLACES
from orderdesk.stats.report import GroupStats, Report, figures

__all__ = ["ledger_report", "report_of_rows"]

_RATIO: Final = Context(prec=40, rounding=ROUND_HALF_EVEN)  # as measure()'s
_ZERO: Final = Decimal(0)
# measure(): sign x (average - arrival) x 10,000 / arrival, rounded to 1e-6 bps. Scaling
# by 10**6 before the division and rounding to an integer is the same computation.
_BUY: Final = Decimal(10_000 * 10**BPS_PLACES)
_SELL: Final = -_BUY
_MICROSECOND: Final = timedelta(microseconds=1)


def _units(value: int) -> Decimal:
    """Return a count of 1e-6 (bps or seconds) as its exact Decimal."""
    return EXACT.scaleb(Decimal(value), -BPS_PLACES)


class _Group:
    """One group's outcome counts, slippages (1e-6 bps), fill times (µs) and exact sums."""

    __slots__ = ("fill_times", "notional", "outcomes", "slippages", "weighted")

    def __init__(self) -> None:
        self.outcomes: dict[str, int] = {}
        self.slippages: list[int] = []
        self.weighted = _ZERO  # sum of notional x slippage units
        self.notional = _ZERO
        self.fill_times: list[int] = []

    def stats(self) -> GroupStats:
        return figures(
            self.outcomes,
            slippages=sorted(self.slippages),
            slippage_value=_units,
            slippage_sum=_units(sum(self.slippages)),
            weighted_slippage_sum=EXACT.scaleb(self.weighted, -BPS_PLACES),
            slipped_notional=self.notional,
            fill_times=sorted(self.fill_times),
            fill_time_value=_units,
            fill_time_sum=_units(sum(self.fill_times)),
        )


def _submitted_within(
    rows: Iterable[ExecutionRow], start: datetime | None, end: datetime | None
) -> Iterator[ExecutionRow]:
    # Fixed-width UTC text: comparing the text compares the times.
    low = "" if start is None else start.astimezone(UTC).isoformat(timespec="microseconds")
    high = None if end is None else end.astimezone(UTC).isoformat(timespec="microseconds")
    for row in rows:
        if row[6] >= low and (high is None or row[6] < high):
            yield row


def report_of_rows(
    rows: Iterable[ExecutionRow],
    *,
    group_by: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report:
    """Compute the report over the rows of orders submitted in ``[start, end)``.

    ``rows`` carry keys made of ``group_by`` (see :mod:`orderdesk.model.execution_rows`).
    """
    keys = check_keys(group_by)
    if start is not None or end is not None:
        rows = _submitted_within(rows, start, end)
    groups: dict[str, _Group] = {}
    number, parse = Decimal, datetime.fromisoformat
    divide, subtract, multiply, add = _RATIO.divide, EXACT.subtract, EXACT.multiply, EXACT.add
    for key, status, side, arrival, filled, notional, submitted, filled_at in rows:
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
        outcomes = group.outcomes
        outcomes[status] = outcomes.get(status, 0) + 1
        if arrival is not None and filled != "0":
            price = number(arrival)
            value = number(notional)
            average = divide(value, number(filled))
            scale = _BUY if side == "BUY" else _SELL
            units = round(divide(multiply(subtract(average, price), scale), price))
            group.slippages.append(units)
            group.weighted = add(group.weighted, multiply(value, units))
            group.notional = add(group.notional, value)
        if filled_at is not None:
            group.fill_times.append((parse(filled_at) - parse(submitted)) // _MICROSECOND)
    split = {key: tuple(key.split(KEY_SEPARATOR)) if keys else () for key in groups}
    ordered = sorted(groups, key=split.__getitem__)
    return Report(
        start=start,
        end=end,
        group_by=keys,
        groups={split[key]: groups[key].stats() for key in ordered},
    )


def ledger_report(
    ledger: Ledger,
    account: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    group_by: Sequence[str] = (),
) -> Report:
    """Return the execution quality of ``account``'s orders created in ``[start, end)``.

    The same report as ``report(executions(ledger, account, start=start, end=end), ...)``
    with the window recorded on it, read as one plain row per order.
    """
    keys = check_keys(group_by)
    rows = ledger.execution_rows(account, OrderQuery(since=start, until=end), keys)
    report = report_of_rows(rows, group_by=keys)
    return Report(start=start, end=end, group_by=report.group_by, groups=report.groups)
