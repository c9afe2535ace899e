"""The report from a Ledger's per-group sums: exact, and no Python object per order.

It gives exactly the :class:`~orderdesk.stats.report.Report` that :func:`measure` and
:class:`~orderdesk.stats.report.Summary` give for the same orders, figure for figure and
digit for digit, only faster (:mod:`orderdesk.model.execution_totals`):

* an order's slippage is the same Decimal computation (average price to 40 significant
  digits, bps to 40, rounded half-even to ``BPS_PLACES``) kept as an integer count of
  1e-6 bps, so that values sort and add as integers;
* time to fill is an integer count of microseconds;
* a store that sums in its database (SQLite, PostgreSQL) reads one row per group; the
  others give their execution rows, summed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from orderdesk.ledger import Ledger
from orderdesk.model.decimals import EXACT
from orderdesk.model.execution_rows import KEY_SEPARATOR, ExecutionRow, check_keys
from orderdesk.model.execution_totals import (
    BPS_PLACES,
    ExecutionTotals,
    submitted_within,
    totals_of_rows,
)
from orderdesk.ports import OrderQuery
from orderdesk.stats.executions import LedgerExecutions
from orderdesk.stats.report import GroupStats, Report, figures

__all__ = ["executions_report", "ledger_report", "report_of_rows", "report_of_totals"]


def _units(value: int) -> Decimal:
    """Return a count of 1e-6 (bps or seconds) as its exact Decimal."""
    return EXACT.scaleb(Decimal(value), -BPS_PLACES)


def _stats(totals: ExecutionTotals) -> GroupStats:
    return figures(
        totals.outcomes,
        slippages=totals.slippages,
        slippage_value=_units,
        slippage_sum=_units(sum(totals.slippages)),
        slippage_weighted_bps=totals.weighted_bps,
        fill_times=totals.fill_times,
        fill_time_value=_units,
        fill_time_sum=_units(sum(totals.fill_times)),
    )


def report_of_totals(
    totals: Mapping[str, ExecutionTotals],
    *,
    group_by: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> Report:
    """Return the report of per-group totals keyed as execution rows are (see
    :mod:`orderdesk.model.execution_rows`)."""
    keys = check_keys(group_by)
    split = {key: tuple(key.split(KEY_SEPARATOR)) if keys else () for key in totals}
    ordered = sorted(totals, key=split.__getitem__)
    return Report(
        start=start,
        end=end,
        group_by=keys,
        groups={split[key]: _stats(totals[key]) for key in ordered},
    )


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
        rows = submitted_within(rows, start, end)
    return report_of_totals(totals_of_rows(rows), group_by=keys, start=start, end=end)


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
    with the window recorded on it, from the ledger's per-group sums.
    """
    keys = check_keys(group_by)
    totals = ledger.execution_totals(account, OrderQuery(since=start, until=end), keys)
    return report_of_totals(totals, group_by=keys, start=start, end=end)


def executions_report(
    found: LedgerExecutions,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    group_by: Sequence[str] = (),
) -> Report:
    """Return ``report(found, start=start, end=end, group_by=group_by)`` from the ledger's
    per-group sums: the orders ``found`` selects (its account's, created in its window)
    that were submitted in ``[start, end)``, whether or not ``found`` was iterated."""
    keys = check_keys(group_by)
    query = OrderQuery(since=found.start, until=found.end)
    totals = found.ledger.execution_totals(
        found.account, query, keys, submitted_from=start, submitted_until=end
    )
    return report_of_totals(totals, group_by=keys, start=start, end=end)
