"""Execution quality over a window, grouped by any of symbol, side, order type, account, venue.

For each group: how many orders; slippage in bps (count, mean, median, p90, p99, and the
notional-weighted mean) over the orders that filled and have an arrival price; time to fill
in seconds (count, mean, p50, p90, p99) over FILLED orders; and the fill, cancel, reject and
expiry rates over all orders of the group. Orders that never filled count in the rates and
nowhere else; every figure says how many orders it rests on.

Percentiles interpolate linearly between the two nearest ranks (``(n - 1) x q``), in exact
Decimal arithmetic. Summaries merge: the counts and sums of two windows merged equal those
of their union.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar

from orderdesk.model import OrderStatus, decimal_text
from orderdesk.model.decimals import EXACT
from orderdesk.model.execution_rows import EXECUTION_KEYS
from orderdesk.model.execution_totals import RATIO, round_figure, weighted_bps
from orderdesk.stats.quality import Execution, OrderQuality, measure

__all__ = [
    "GROUP_KEYS",
    "GroupStats",
    "Report",
    "Summary",
    "figures",
    "parse_window",
    "percentile",
    "percentile_of",
    "report",
]

GROUP_KEYS: Final = EXECUTION_KEYS
_ZERO = Decimal(0)
_HALF, _P90, _P99 = Decimal("0.5"), Decimal("0.9"), Decimal("0.99")
V = TypeVar("V")


def percentile(sorted_values: Sequence[Decimal], q: Decimal) -> Decimal | None:
    """Return the ``q`` quantile (0..1) of ascending values, interpolating linearly."""
    return percentile_of(sorted_values, q, _same)


def percentile_of(
    sorted_values: Sequence[V], q: Decimal, value: Callable[[V], Decimal]
) -> Decimal | None:
    """Return the ``q`` quantile of ascending values, reading only the two it lies between
    as Decimals (``value`` turns one into its Decimal)."""
    if not sorted_values:
        return None
    position = EXACT.multiply(Decimal(len(sorted_values) - 1), q)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = EXACT.subtract(position, Decimal(low))
    below = value(sorted_values[low])
    span = EXACT.subtract(value(sorted_values[high]), below)
    return round_figure(EXACT.add(below, RATIO.multiply(span, weight)))


def _same(value: Decimal) -> Decimal:
    return value


def _mean(total: Decimal, count: int) -> Decimal | None:
    return round_figure(RATIO.divide(total, Decimal(count))) if count else None


@dataclass(slots=True)
class Summary:
    """Mergeable counts, sums and values of a set of orders."""

    orders: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    slippages: list[Decimal] = field(default_factory=list)
    slippage_sum: Decimal = _ZERO
    weighted_slippage_sum: Decimal = _ZERO
    slipped_notional: Decimal = _ZERO
    fill_times: list[Decimal] = field(default_factory=list)
    fill_time_sum: Decimal = _ZERO

    def add(self, quality: OrderQuality) -> None:
        """Count one order."""
        self.orders += 1
        status = quality.execution.status.value
        self.outcomes[status] = self.outcomes.get(status, 0) + 1
        if quality.slippage_bps is not None:
            self.slippages.append(quality.slippage_bps)
            self.slippage_sum = EXACT.add(self.slippage_sum, quality.slippage_bps)
            weighted = EXACT.multiply(quality.slippage_bps, quality.notional)
            self.weighted_slippage_sum = EXACT.add(self.weighted_slippage_sum, weighted)
            self.slipped_notional = EXACT.add(self.slipped_notional, quality.notional)
        if quality.time_to_fill is not None:
            self.fill_times.append(quality.time_to_fill)
            self.fill_time_sum = EXACT.add(self.fill_time_sum, quality.time_to_fill)

    def merge(self, other: Summary) -> Summary:
        """Return the summary of both sets of orders."""
        outcomes = dict(self.outcomes)
        for status, count in other.outcomes.items():
            outcomes[status] = outcomes.get(status, 0) + count
        return Summary(
            orders=self.orders + other.orders,
            outcomes=outcomes,
            slippages=self.slippages + other.slippages,
            slippage_sum=EXACT.add(self.slippage_sum, other.slippage_sum),
            weighted_slippage_sum=EXACT.add(
                self.weighted_slippage_sum, other.weighted_slippage_sum
            ),
            slipped_notional=EXACT.add(self.slipped_notional, other.slipped_notional),
            fill_times=self.fill_times + other.fill_times,
            fill_time_sum=EXACT.add(self.fill_time_sum, other.fill_time_sum),
        )

    def stats(self) -> GroupStats:
        """Turn the summary into the report's figures."""
        return figures(
            self.outcomes,
            slippages=sorted(self.slippages),
            slippage_value=_same,
            slippage_sum=self.slippage_sum,
            slippage_weighted_bps=weighted_bps(self.weighted_slippage_sum, self.slipped_notional),
            fill_times=sorted(self.fill_times),
            fill_time_value=_same,
            fill_time_sum=self.fill_time_sum,
        )


def figures(
    outcomes: dict[str, int],
    *,
    slippages: Sequence[V],
    slippage_value: Callable[[V], Decimal],
    slippage_sum: Decimal,
    slippage_weighted_bps: Decimal | None,
    fill_times: Sequence[V],
    fill_time_value: Callable[[V], Decimal],
    fill_time_sum: Decimal,
) -> GroupStats:
    """Return a group's figures from its outcome counts, its sorted slippages and fill times
    (each read as a Decimal by its ``*_value``), their exact sums and the weighted slippage."""
    orders = sum(outcomes.values())

    def rate(status: OrderStatus) -> Decimal | None:
        count = outcomes.get(status.value, 0)
        return round_figure(RATIO.divide(Decimal(count), Decimal(orders))) if orders else None

    return GroupStats(
        orders=orders,
        slippage_count=len(slippages),
        slippage_mean_bps=_mean(slippage_sum, len(slippages)),
        slippage_median_bps=percentile_of(slippages, _HALF, slippage_value),
        slippage_p90_bps=percentile_of(slippages, _P90, slippage_value),
        slippage_p99_bps=percentile_of(slippages, _P99, slippage_value),
        slippage_weighted_bps=slippage_weighted_bps,
        fill_time_count=len(fill_times),
        fill_time_mean_s=_mean(fill_time_sum, len(fill_times)),
        fill_time_p50_s=percentile_of(fill_times, _HALF, fill_time_value),
        fill_time_p90_s=percentile_of(fill_times, _P90, fill_time_value),
        fill_time_p99_s=percentile_of(fill_times, _P99, fill_time_value),
        fill_rate=rate(OrderStatus.FILLED),
        cancel_rate=rate(OrderStatus.CANCELLED),
        reject_rate=rate(OrderStatus.REJECTED),
        expiry_rate=rate(OrderStatus.EXPIRED),
        outcomes=dict(sorted(outcomes.items())),
    )


@dataclass(frozen=True, slots=True)
class GroupStats:
    """One group's figures; ``*_count`` says how many orders a block of figures rests on."""

    orders: int
    slippage_count: int
    slippage_mean_bps: Decimal | None
    slippage_median_bps: Decimal | None
    slippage_p90_bps: Decimal | None
    slippage_p99_bps: Decimal | None
    slippage_weighted_bps: Decimal | None
    fill_time_count: int
    fill_time_mean_s: Decimal | None
    fill_time_p50_s: Decimal | None
    fill_time_p90_s: Decimal | None
    fill_time_p99_s: Decimal | None
    fill_rate: Decimal | None
    cancel_rate: Decimal | None
    reject_rate: Decimal | None
    expiry_rate: Decimal | None
    outcomes: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready values (decimals as strings)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = decimal_text(value) if isinstance(value, Decimal) else value
        return out


@dataclass(frozen=True, slots=True)
class Report:
    """Execution quality of the orders submitted in ``[start, end)``, by group."""

    start: datetime | None
    end: datetime | None
    group_by: tuple[str, ...]
    groups: dict[tuple[str, ...], GroupStats]

    def rows(self) -> list[dict[str, Any]]:
        """Return one flat row per group: its key fields, then its figures (Decimals exact)."""
        out = []
        for key, stats in self.groups.items():
            row: dict[str, Any] = dict(zip(self.group_by, key, strict=True))
            row.update({name: getattr(stats, name) for name in _FIGURES})
            out.append(row)
        return out

    def to_pandas(self, *, floats: bool = False) -> Any:
        """Return the report as a pandas DataFrame, a row per group (``pandas`` extra).

        Figures stay exact ``Decimal`` objects unless ``floats`` asks for float64 columns.
        """
        try:
            import pandas  # noqa: PLC0415 - an optional extra
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise ImportError("to_pandas needs pandas: pip install 'orderdesk[pandas]'") from error
        frame = pandas.DataFrame(self.rows(), columns=[*self.group_by, *_FIGURES])
        if floats:
            for name in _DECIMAL_FIGURES:
                frame[name] = frame[name].astype("float64")
        return frame

    def to_polars(self) -> Any:
        """Return the report as a polars DataFrame with exact Decimal columns (``polars`` extra)."""
        try:
            import polars  # noqa: PLC0415 - an optional extra
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise ImportError("to_polars needs polars: pip install 'orderdesk[polars]'") from error
        schema: dict[str, Any] = dict.fromkeys(self.group_by, polars.Utf8)
        for name in _FIGURES:
            if name in _DECIMAL_FIGURES:
                schema[name] = polars.Decimal(38, 6)
            elif name == "outcomes":
                schema[name] = polars.Object
            else:
                schema[name] = polars.Int64
        return polars.DataFrame(self.rows(), schema=schema, orient="row")

    def to_json(self) -> str:
        """Return the report as JSON."""
        return json.dumps(
            {
                "start": None if self.start is None else self.start.isoformat(),
                "end": None if self.end is None else self.end.isoformat(),
                "group_by": list(self.group_by),
                "groups": [
                    {"key": dict(zip(self.group_by, key, strict=True)), **stats.to_dict()}
                    for key, stats in self.groups.items()
                ],
            },
            indent=2,
        )


_FIGURES: Final = tuple(GroupStats.__slots__)
_DECIMAL_FIGURES: Final = frozenset(
    name for name in _FIGURES if name.endswith(("_bps", "_s", "_rate"))
)


def _key(execution: Execution, group_by: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(getattr(execution, name)) for name in group_by)


def report(
    executions: Iterable[Execution],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    group_by: Sequence[str] = (),
) -> Report:
    """Compute the report over the executions submitted in ``[start, end)``, measuring each.

    For a Ledger's executions, :func:`~orderdesk.stats.rows.executions_report` gives the
    same report from the ledger's per-group sums, much faster.
    """
    keys = tuple(group_by)
    unknown = [name for name in keys if name not in GROUP_KEYS]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {', '.join(GROUP_KEYS)}")
    summaries: dict[tuple[str, ...], Summary] = {}
    for execution in executions:
        at = execution.submitted_at
        if (start is not None and at < start) or (end is not None and at >= end):
            continue
        summaries.setdefault(_key(execution, keys), Summary()).add(measure(execution))
    groups = {key: summaries[key].stats() for key in sorted(summaries)}
    return Report(start=start, end=end, group_by=keys, groups=groups)


_WINDOW = re.compile(r"([1-9][0-9]*)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"1h"`` or ``"7d"`` into a duration."""
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"window {text!r} is not a number and a unit: 90s, 15m, 1h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
