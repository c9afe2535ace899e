"""The Order: exchange intent. A trader's Order is mutable and validated on assignment; the
Ledger holds sealed Orders, immutable values that each lifecycle step replaces."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orderdesk.model.decimals import PositiveDecimal
from orderdesk.model.enums import OrderStatus, OrderType, Side, TimeInForce
from orderdesk.model.ids import GROUP_ID, ORDER_ID, generate_order_id
from orderdesk.model.order_rules import check_prices, check_time_in_force
from orderdesk.model.timestamps import AwareTime
from orderdesk.model.unchecked import unchecked

__all__ = ["SYMBOL", "Order", "evolve", "seal", "sealed", "symbol_of"]

_MISSING = object()
_TIMES = ("created_at", "updated_at", "expire_at")

SYMBOL = r"^[A-Z]+_[A-Z]+$"
"""A symbol: base and quote asset in capitals, joined by ``_`` (``BTC_USDT``)."""

_TYPED_SYMBOL = re.compile(r"([A-Za-z]+)[_/]([A-Za-z]+)")


def symbol_of(text: str) -> str:
    """A symbol as a person types it, in orderdesk's form: ``BTC/USDT`` (ccxt's form) and
    ``btc_usdt`` are ``BTC_USDT``. Other text comes back as given, for :data:`SYMBOL` to
    refuse."""
    found = _TYPED_SYMBOL.fullmatch(text.strip())
    if found is None:
        return text
    return f"{found[1]}_{found[2]}".upper()


class Order(BaseModel):
    """What a strategy asks a venue to do; the fields are described in docs/concepts.md.

    ``order_id`` is generated from ``created_at`` when not given. ``order_id`` and
    ``parent_group_id`` cannot be reassigned; ``status``, ``connector_order_id`` and
    ``updated_at`` can, and every assignment is validated (a refused one changes nothing).
    An Order the Ledger holds (in every record it returns) is sealed: assigning to it raises
    ``TypeError``; ``model_copy()`` gives an unsealed copy to change.
    Filled quantity, average price and fees are computed from fills (:class:`OrderFills`),
    never stored here. Datetimes must be timezone-aware and are held in UTC.
    """

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    # The empty default is never validated or kept: the model validator replaces it with an
    # id generated from created_at. An explicit "" fails the pattern like any bad id.
    order_id: str = Field(default="", pattern=f"^{ORDER_ID.pattern}$", frozen=True)
    parent_group_id: str = Field(pattern=f"^{GROUP_ID.pattern}$", frozen=True)
    connector_order_id: str | None = Field(default=None, min_length=1, max_length=128)
    symbol: str = Field(pattern=SYMBOL)
    side: Side
    order_type: OrderType
    quantity: PositiveDecimal
    price: PositiveDecimal | None = None
    stop_price: PositiveDecimal | None = None
    status: OrderStatus = OrderStatus.PENDING
    created_at: AwareTime
    updated_at: AwareTime
    # How long the order works, so that a venue can end it EXPIRED:
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: AwareTime | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__pydantic_fields_set__ is _SEALED:
            raise TypeError(
                f"order {self.order_id} is recorded and cannot change; "
                "model_copy() gives a copy that can"
            )
        # pydantic assigns the field before the model validator runs and does not undo it
        # when that validator fails; a refused assignment must leave the order unchanged.
        old = self.__dict__.get(name, _MISSING)
        try:
            super().__setattr__(name, value)
        except ValidationError:
            if old is not _MISSING:
                self.__dict__[name] = old
            raise

    def __copy__(self) -> Self:
        # A copy is the caller's own: never sealed, even when the original is.
        copied = super().__copy__()
        if self.__pydantic_fields_set__ is _SEALED:
            object.__setattr__(copied, "__pydantic_fields_set__", set(_FIELD_NAMES))
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        copied = super().__deepcopy__(memo)
        if self.__pydantic_fields_set__ is _SEALED:
            object.__setattr__(copied, "__pydantic_fields_set__", set(_FIELD_NAMES))
        return copied

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        if isinstance(self.__pydantic_fields_set__, frozenset):  # unpickled sealed: still sealed
            object.__setattr__(self, "__pydantic_fields_set__", _SEALED)

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        fields = self.__dict__
        for name in _TIMES:  # aware is checked in Rust; held in UTC (the tz may be +02:00)
            at = fields[name]
            if at is not None and at.tzinfo is not UTC:
                fields[name] = at.astimezone(UTC)
        if not fields["order_id"]:
            fields["order_id"] = generate_order_id(fields["created_at"])
        check_prices(self.order_type, self.price, self.stop_price)
        if self.updated_at < self.created_at:
            raise ValueError("updated_at is earlier than created_at")
        check_time_in_force(self.time_in_force, self.expire_at, self.created_at)
        return self


_FIELD_NAMES: Final = tuple(Order.model_fields)
_SEALED: Final = frozenset(_FIELD_NAMES)
"""The fields-set of a sealed Order (every field set); its identity marks the seal."""
_set = object.__setattr__


def _sealed(fields: dict[str, Any]) -> Order:
    return unchecked(Order, fields, _SEALED)


def seal(order: Order) -> Order:
    """Return ``order`` as an immutable value: itself if already sealed, else a sealed copy
    (the trader's own Order stays theirs to change)."""
    if order.__pydantic_fields_set__ is _SEALED:
        return order
    return _sealed(order.__dict__.copy())


def evolve(order: Order, **changes: Any) -> Order:
    """Return a sealed copy of ``order`` with ``changes``, unvalidated: for the lifecycle's
    own steps, whose values the table has already decided (a status, a venue order id, a
    later ``updated_at``). Never for input from outside."""
    fields = order.__dict__.copy()
    fields.update(changes)
    return _sealed(fields)


def sealed(fields: dict[str, Any], *, validate: bool = True) -> Order:
    """Return the sealed Order of every field in ``fields`` (a stored row), validated unless
    ``validate`` is false (rows validated when written, read in bulk)."""
    if not validate:
        return _sealed(fields)
    order = Order.model_validate(fields)
    _set(order, "__pydantic_fields_set__", _SEALED)
    return order
