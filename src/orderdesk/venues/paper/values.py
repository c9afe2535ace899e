"""Quick construction of the values the venue hands out: reports, fills, results.

:class:`~orderdesk.model.ExecutionReport`, :class:`~orderdesk.model.VenueFill`,
:class:`~orderdesk.model.SubmitResult` and :class:`~orderdesk.model.CancelResult` are frozen
slotted dataclasses: their generated ``__init__`` sets every field through
``object.__setattr__``, which costs more than the rest of a fill. The venue builds millions
of them and knows its arguments are right, so it fills a plain object with the same slots
and gives it the frozen class: the result is an ordinary instance of that class (equal,
hashed, printed and frozen exactly as one built by its constructor). Each builder sets
every field, in the dataclass's order, and the layouts are checked when this module loads.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

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

__all__ = ["cancel_result", "execution_report", "submit_result", "venue_fill"]

_new = object.__new__
_set = object.__setattr__


class _Report:
    __slots__ = ExecutionReport.__slots__
    seq: int
    kind: ReportKind
    at: datetime
    venue_order_id: str
    client_order_id: str
    symbol: str
    status: OrderStatus
    filled_quantity: Decimal
    fill: VenueFill | None
    reason: str
    code: str | None


class _Fill:
    __slots__ = VenueFill.__slots__
    trade_id: str
    venue_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: Liquidity
    executed_at: datetime


class _SubmitResult:
    __slots__ = SubmitResult.__slots__
    client_order_id: str
    status: OrderStatus
    at: datetime
    venue_order_id: str | None
    reject_code: RejectCode | None
    reason: str
    fills: tuple[VenueFill, ...]


class _CancelResult:
    __slots__ = CancelResult.__slots__
    outcome: CancelOutcome
    at: datetime
    venue_order_id: str | None
    client_order_id: str | None
    status: OrderStatus | None


for _value, _twin in (
    (ExecutionReport, _Report),
    (VenueFill, _Fill),
    (SubmitResult, _SubmitResult),
    (CancelResult, _CancelResult),
):
    _names = tuple(f.name for f in dataclasses.fields(_value))
    if _names != _twin.__slots__ or _names != tuple(_twin.__annotations__):
        raise TypeError(f"{_value.__name__}'s fields changed: update its builder in {__name__}")


def execution_report(  # noqa: PLR0917 - the fields, in the dataclass's order
    seq: int,
    kind: ReportKind,
    at: datetime,
    venue_order_id: str,
    client_order_id: str,
    symbol: str,
    status: OrderStatus,
    filled_quantity: Decimal,
    fill: VenueFill | None,
) -> ExecutionReport:
    """Return ``ExecutionReport(...)`` of these fields (no reason, no code)."""
    report = _new(_Report)
    report.seq = seq
    report.kind = kind
    report.at = at
    report.venue_order_id = venue_order_id
    report.client_order_id = client_order_id
    report.symbol = symbol
    report.status = status
    report.filled_quantity = filled_quantity
    report.fill = fill
    report.reason = ""
    report.code = None
    _set(report, "__class__", ExecutionReport)
    return report  # type: ignore[return-value]


def venue_fill(  # noqa: PLR0917 - the fields, in the dataclass's order
    trade_id: str,
    venue_order_id: str,
    client_order_id: str,
    symbol: str,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    fee_asset: str,
    liquidity: Liquidity,
    executed_at: datetime,
) -> VenueFill:
    """Return ``VenueFill(...)`` of these fields, which the exchange computed itself (its
    own positive quantities and prices, its own ids and fee assets): the constructor's
    checks are for fills that enter from outside."""
    fill = _new(_Fill)
    fill.trade_id = trade_id
    fill.venue_order_id = venue_order_id
    fill.client_order_id = client_order_id
    fill.symbol = symbol
    fill.side = side
    fill.quantity = quantity
    fill.price = price
    fill.fee = fee
    fill.fee_asset = fee_asset
    fill.liquidity = liquidity
    fill.executed_at = executed_at
    _set(fill, "__class__", VenueFill)
    return fill  # type: ignore[return-value]


def submit_result(  # noqa: PLR0917 - the fields, in the dataclass's order
    client_order_id: str,
    status: OrderStatus,
    at: datetime,
    venue_order_id: str | None,
    reject_code: RejectCode | None,
    reason: str,
    fills: tuple[VenueFill, ...],
) -> SubmitResult:
    """Return ``SubmitResult(...)`` of these fields."""
    result = _new(_SubmitResult)
    result.client_order_id = client_order_id
    result.status = status
    result.at = at
    result.venue_order_id = venue_order_id
    result.reject_code = reject_code
    result.reason = reason
    result.fills = fills
    _set(result, "__class__", SubmitResult)
    return result  # type: ignore[return-value]


def cancel_result(
    outcome: CancelOutcome,
    at: datetime,
    venue_order_id: str | None,
    client_order_id: str | None,
    status: OrderStatus | None,
) -> CancelResult:
    """Return ``CancelResult(...)`` of these fields."""
    result = _new(_CancelResult)
    result.outcome = outcome
    result.at = at
    result.venue_order_id = venue_order_id
    result.client_order_id = client_order_id
    result.status = status
    _set(result, "__class__", CancelResult)
    return result  # type: ignore[return-value]
