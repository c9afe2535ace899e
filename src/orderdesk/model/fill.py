"""Fills: the venue's account of what executed, and the totals computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal
from types import MappingProxyType
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orderdesk.model.decimals import EXACT, FeeDecimal, PositiveDecimal
from orderdesk.model.enums import Liquidity
from orderdesk.model.ids import FILL_ID, ORDER_ID, generate_fill_id
from orderdesk.model.timestamps import UtcDatetime
from orderdesk.model.unchecked import unchecked

__all__ = ["VWAP_PRECISION", "Fill", "FillSummary", "OrderFills", "checked_fill"]

VWAP_PRECISION = 40
"""Significant digits of an average price: exact whenever the quotient has that many or fewer."""
_VWAP = Context(prec=VWAP_PRECISION)
_ZERO = Decimal(0)


class Fill(BaseModel):
    """One execution at the venue. Immutable: a fill is a fact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Like Order.order_id: the empty default is replaced from executed_at by the validator.
    fill_id: str = Field(default="", pattern=f"^{FILL_ID.pattern}$")
    order_id: str = Field(pattern=f"^{ORDER_ID.pattern}$")
    trade_id: str = Field(min_length=1, max_length=128)
    quantity: PositiveDecimal
    price: PositiveDecimal
    fee: FeeDecimal = _ZERO
    fee_asset: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,20}$")
    liquidity: Liquidity | None = None
    executed_at: UtcDatetime

    @model_validator(mode="after")
    def _check_fee(self) -> Self:
        if self.fee != 0 and self.fee_asset is None:
            raise ValueError("a non-zero fee needs its fee_asset")
        if not self.fill_id:  # frozen: set once, here, before anyone sees the instance
            self.__dict__["fill_id"] = generate_fill_id(self.executed_at)
        return self

    @property
    def notional(self) -> Decimal:
        """Quantity times price, exact."""
        return EXACT.multiply(self.quantity, self.price)


_FILL_FIELDS: Final = frozenset(Fill.model_fields)


def checked_fill(
    order_id: str,
    *,
    trade_id: str,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    fee_asset: str,
    liquidity: Liquidity | None,
    executed_at: datetime,
) -> Fill:
    """Return the Fill of values a venue parser has already checked (a
    :class:`~orderdesk.model.venue.VenueFill` checks every one as it is made), for the
    Ledger's order ``order_id``, without validating them a second time."""
    return unchecked(
        Fill,
        {
            "fill_id": generate_fill_id(executed_at),
            "order_id": order_id,
            "trade_id": trade_id,
            "quantity": quantity,
            "price": price,
            "fee": fee,
            "fee_asset": fee_asset,
            "liquidity": liquidity,
            "executed_at": executed_at,
        },
        set(_FILL_FIELDS),
    )


@dataclass(frozen=True, slots=True)
class FillSummary:
    """What an order's fills add up to (computed from the fills, never stored on the Order)."""

    filled_quantity: Decimal
    remaining_quantity: Decimal
    average_fill_price: Decimal | None
    notional: Decimal
    fees: Mapping[str, Decimal]
    fill_count: int


class OrderFills:
    """An order's fills by trade id, with running totals: every query is constant-time."""

    __slots__ = ("_by_trade", "_fees", "filled_quantity", "notional", "quantity")

    def __init__(self, quantity: Decimal, fills: Iterable[Fill] = ()) -> None:
        self.quantity = quantity
        self.filled_quantity = _ZERO
        self.notional = _ZERO
        self._by_trade: dict[str, Fill] = {}
        self._fees: dict[str, Decimal] = {}
        for fill in fills:
            self.add(fill)

    def __len__(self) -> int:
        return len(self._by_trade)

    def __iter__(self) -> Any:
        return iter(self._by_trade.values())

    def get(self, trade_id: str) -> Fill | None:
        """Return the fill recorded under ``trade_id``, if any."""
        return self._by_trade.get(trade_id)

    def add(self, fill: Fill) -> None:
        """Record a fill. The lifecycle checks duplicates and overfills before calling this."""
        if fill.trade_id in self._by_trade:
            raise ValueError(f"trade {fill.trade_id!r} is already recorded")
        self._by_trade[fill.trade_id] = fill
        add = EXACT.add
        self.filled_quantity = add(self.filled_quantity, fill.quantity)
        self.notional = add(self.notional, EXACT.multiply(fill.quantity, fill.price))
        if fill.fee_asset is not None:
            self._fees[fill.fee_asset] = add(self._fees.get(fill.fee_asset, _ZERO), fill.fee)

    @property
    def remaining_quantity(self) -> Decimal:
        """Order quantity not yet filled."""
        return EXACT.subtract(self.quantity, self.filled_quantity)

    @property
    def average_fill_price(self) -> Decimal | None:
        """Volume-weighted average price, or ``None`` before the first fill."""
        if not self.filled_quantity:
            return None
        return _VWAP.divide(self.notional, self.filled_quantity)

    @property
    def fees(self) -> Mapping[str, Decimal]:
        """Fees paid per asset (negative for a net rebate)."""
        return MappingProxyType(self._fees)

    def summary(self) -> FillSummary:
        """Return the totals as an immutable value."""
        return FillSummary(
            filled_quantity=self.filled_quantity,
            remaining_quantity=self.remaining_quantity,
            average_fill_price=self.average_fill_price,
            notional=self.notional,
            fees=MappingProxyType(dict(self._fees)),
            fill_count=len(self._by_trade),
        )
