"""One order's execution quality, computed exactly from its fills and the broker's facts.

Signs are chosen so that a positive number is good or bad the same way for BUY and SELL:

* ``slippage_bps``: average fill price against the arrival price (the venue's mid quote
  when the order was submitted), positive when it cost the trader:
  BUY ``(avg - arrival) / arrival``, SELL ``(arrival - avg) / arrival``, times 10,000;
* ``improvement_bps`` (limit orders): against the limit price, positive when better:
  BUY ``(limit - avg) / limit``, SELL ``(avg - limit) / limit``, times 10,000;
* ``shortfall``: implementation shortfall in the quote asset, positive when it cost:
  ``sign x (notional - arrival x filled)`` plus fees. Fees in the quote asset count as they
  are, fees in the base asset at their fill's price; fees in any other asset cannot be priced
  here and are listed in ``unpriced_fees`` instead.

Ratios are computed to 40 significant digits and rounded half-even to ``BPS_PLACES``
decimal places; sums and products are exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

from orderdesk.model import Fill, OrderStatus, OrderType, Side
from orderdesk.model.decimals import EXACT
from orderdesk.model.execution_totals import BPS_PLACES, RATIO

__all__ = ["BPS_PLACES", "Execution", "OrderQuality", "measure", "seconds"]

_BPS_QUANTUM = Decimal(1).scaleb(-BPS_PLACES)
_TEN_THOUSAND = Decimal(10_000)
_ZERO = Decimal(0)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Execution:
    """What the statistics need of one order: the order, its fills, the broker's facts."""

    order_id: str
    account: str
    venue: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    status: OrderStatus
    base_asset: str
    quote_asset: str
    submitted_at: datetime
    limit_price: Decimal | None = None
    arrival_price: Decimal | None = None
    acked_at: datetime | None = None
    fills: tuple[Fill, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderQuality:
    """One order's figures; ``None`` where a figure does not apply (no fill, no arrival)."""

    execution: Execution
    filled_quantity: Decimal
    notional: Decimal
    average_price: Decimal | None
    fill_ratio: Decimal
    slippage_bps: Decimal | None
    improvement_bps: Decimal | None
    shortfall: Decimal | None
    fees_in_quote: Decimal
    unpriced_fees: Mapping[str, Decimal] = field(default_factory=dict)
    time_to_ack: Decimal | None = None
    time_to_first_fill: Decimal | None = None
    time_to_fill: Decimal | None = None
    """Seconds from submit to the fill that completed the order (FILLED orders only)."""

    @property
    def outcome(self) -> OrderStatus:
        """How the order ended (or where it is): its status."""
        return self.execution.status


def seconds(delta: timedelta) -> Decimal:
    """Return ``delta`` in seconds, exactly (microsecond resolution)."""
    return Decimal(delta // _MICRO).scaleb(-6)


def _bps(numerator: Decimal, denominator: Decimal) -> Decimal:
    ratio = RATIO.divide(EXACT.multiply(numerator, _TEN_THOUSAND), denominator)
    return ratio.quantize(_BPS_QUANTUM, rounding=ROUND_HALF_EVEN)


def measure(execution: Execution) -> OrderQuality:
    """Compute one order's execution quality."""
    add, mul, sub = EXACT.add, EXACT.multiply, EXACT.subtract
    filled = notional = fees_quote = _ZERO
    unpriced: dict[str, Decimal] = {}
    first: datetime | None = None
    last: datetime | None = None
    for fill in execution.fills:
        filled = add(filled, fill.quantity)
        notional = add(notional, mul(fill.quantity, fill.price))
        if fill.fee_asset == execution.quote_asset:
            fees_quote = add(fees_quote, fill.fee)
        elif fill.fee_asset == execution.base_asset:
            fees_quote = add(fees_quote, mul(fill.fee, fill.price))
        elif fill.fee_asset is not None and fill.fee:
            unpriced[fill.fee_asset] = add(unpriced.get(fill.fee_asset, _ZERO), fill.fee)
        if first is None or fill.executed_at < first:
            first = fill.executed_at
        if last is None or fill.executed_at > last:
            last = fill.executed_at
    sign = Decimal(1) if execution.side is Side.BUY else Decimal(-1)
    average = RATIO.divide(notional, filled) if filled else None
    arrival = execution.arrival_price
    limit = execution.limit_price if execution.order_type is not OrderType.MARKET else None
    slippage = improvement = shortfall = None
    if average is not None and arrival is not None:
        slippage = _bps(mul(sub(average, arrival), sign), arrival)
        shortfall = add(mul(sub(notional, mul(arrival, filled)), sign), fees_quote)
    if average is not None and limit is not None:
        improvement = _bps(mul(sub(limit, average), sign), limit)
    start = execution.submitted_at
    completed = last if execution.status is OrderStatus.FILLED and last is not None else None
    return OrderQuality(
        execution=execution,
        filled_quantity=filled,
        notional=notional,
        average_price=average,
        fill_ratio=RATIO.divide(filled, execution.quantity),
        slippage_bps=slippage,
        improvement_bps=improvement,
        shortfall=shortfall,
        fees_in_quote=fees_quote,
        unpriced_fees=MappingProxyType(unpriced),
        time_to_ack=None if execution.acked_at is None else seconds(execution.acked_at - start),
        time_to_first_fill=None if first is None else seconds(first - start),
        time_to_fill=None if completed is None else seconds(completed - start),
    )
