"""What crosses the venue boundary: markets, requests, results, venue orders, fills, reports.

These are the value types of the :class:`~orderdesk.ports.Connector` port. They are plain
slotted dataclasses rather than pydantic models because a backtest creates millions of them;
:class:`SubmitRequest`, the one built from caller input, checks itself on construction.
Decimals everywhere, datetimes aware and in UTC.

:func:`to_event` maps an :class:`ExecutionReport` onto the lifecycle events
(:class:`~orderdesk.model.events.Acked`, ``Filled``, ``Cancelled``, ``Expired``,
``Rejected``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal
from enum import StrEnum

from orderdesk.model.decimals import decimal_text, parse_fee, parse_positive
from orderdesk.model.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from orderdesk.model.events import Acked, Cancelled, Expired, Filled, OrderEvent, Rejected
from orderdesk.model.fill import VWAP_PRECISION, Fill, checked_fill
from orderdesk.model.ids import ORDER_ID
from orderdesk.model.order_rules import check_prices, check_time_in_force
from orderdesk.model.timestamps import iso_utc, require_utc

__all__ = [
    "Balance",
    "CancelOutcome",
    "CancelResult",
    "ExecutionReport",
    "Market",
    "RejectCode",
    "ReportKind",
    "SubmitRequest",
    "SubmitResult",
    "VenueFill",
    "VenueOrder",
    "to_event",
]

_VWAP = Context(prec=VWAP_PRECISION)


class RejectCode(StrEnum):
    """Why a venue refused an order: a closed set, mapped from each venue's own codes."""

    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    INVALID_ORDER = "INVALID_ORDER"
    INVALID_CLIENT_ORDER_ID = "INVALID_CLIENT_ORDER_ID"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    PRICE_NOT_ON_TICK = "PRICE_NOT_ON_TICK"
    QUANTITY_NOT_ON_STEP = "QUANTITY_NOT_ON_STEP"
    BELOW_MIN_QUANTITY = "BELOW_MIN_QUANTITY"
    ABOVE_MAX_QUANTITY = "ABOVE_MAX_QUANTITY"
    BELOW_MIN_NOTIONAL = "BELOW_MIN_NOTIONAL"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"


_MAX_ID = 128
_FEE_ASSET = re.compile(r"[A-Z0-9]{1,20}")
_set = object.__setattr__


def _require_positive(name: str, value: Decimal) -> None:
    if type(value) is not Decimal or not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a finite Decimal > 0, got {value!r}")


def _on_grid(value: Decimal, increment: Decimal) -> bool:
    return value % increment == 0


@dataclass(frozen=True, slots=True)
class Market:
    """A tradable symbol and its filters (Binance's PRICE_FILTER, LOT_SIZE, NOTIONAL)."""

    symbol: str
    base_asset: str
    quote_asset: str
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal
    min_notional: Decimal
    max_quantity: Decimal | None = None

    def __post_init__(self) -> None:
        _require_positive("tick_size", self.tick_size)
        _require_positive("step_size", self.step_size)
        if self.min_quantity < 0 or self.min_notional < 0:
            raise ValueError("min_quantity and min_notional cannot be negative")
        if self.max_quantity is not None:
            _require_positive("max_quantity", self.max_quantity)

    def violation(self, quantity: Decimal, price: Decimal | None) -> RejectCode | None:
        """Return the first filter that ``quantity`` at ``price`` breaks, or ``None``.

        ``price`` is the limit price, or for a market order a reference price (``None``
        skips the notional check).
        """
        if price is not None and not _on_grid(price, self.tick_size):
            return RejectCode.PRICE_NOT_ON_TICK
        if not _on_grid(quantity, self.step_size):
            return RejectCode.QUANTITY_NOT_ON_STEP
        if quantity < self.min_quantity:
            return RejectCode.BELOW_MIN_QUANTITY
        if self.max_quantity is not None and quantity > self.max_quantity:
            return RejectCode.ABOVE_MAX_QUANTITY
        if price is not None and quantity * price < self.min_notional:
            return RejectCode.BELOW_MIN_NOTIONAL
        return None


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """A new order as sent to a venue, named by the caller's ``client_order_id``."""

    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.client_order_id:
            raise ValueError("client_order_id must not be empty")
        _require_positive("quantity", self.quantity)
        check_prices(self.order_type, self.price, self.stop_price)
        if self.price is not None:
            _require_positive("price", self.price)
        if self.stop_price is not None:
            _require_positive("stop_price", self.stop_price)
        check_time_in_force(self.time_in_force, self.expire_at)


@dataclass(frozen=True, slots=True)
class VenueFill:
    """One execution of one of our orders, as the venue records it."""

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

    def __post_init__(self) -> None:
        # Checked here, where a venue's answer enters: the Fill made of it is not checked again.
        if not 0 < len(self.trade_id) <= _MAX_ID:
            raise ValueError(f"trade_id must be 1-{_MAX_ID} characters, got {self.trade_id!r}")
        if _FEE_ASSET.fullmatch(self.fee_asset) is None:
            raise ValueError(f"fee_asset must match {_FEE_ASSET.pattern}, got {self.fee_asset!r}")
        _set(self, "quantity", parse_positive(self.quantity))
        _set(self, "price", parse_positive(self.price))
        _set(self, "fee", parse_fee(self.fee))
        _set(self, "liquidity", Liquidity(self.liquidity))
        _set(self, "executed_at", require_utc(self.executed_at))

    def to_fill(self, order_id: str) -> Fill:
        """Return this execution as the domain ``Fill`` of the Ledger's order ``order_id``."""
        if ORDER_ID.fullmatch(order_id) is None:
            raise ValueError(f"{order_id!r} is not an order id")
        return checked_fill(
            order_id,
            trade_id=self.trade_id,
            quantity=self.quantity,
            price=self.price,
            fee=self.fee,
            fee_asset=self.fee_asset,
            liquidity=self.liquidity,
            executed_at=self.executed_at,
        )

    def as_dict(self) -> dict[str, str]:
        """Return the fill as JSON-able text, decimals in canonical form."""
        return {
            "trade_id": self.trade_id,
            "venue_order_id": self.venue_order_id,
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "quantity": decimal_text(self.quantity),
            "price": decimal_text(self.price),
            "fee": decimal_text(self.fee),
            "fee_asset": self.fee_asset,
            "liquidity": self.liquidity.value,
            "executed_at": iso_utc(self.executed_at),
        }


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The venue's answer to a submit: accepted (with its order id) or rejected (with a code).

    A rejection is an outcome, not an exception. ``status`` is the order's status once the
    venue finished processing the request (a market order may already be ``FILLED``) and
    ``fills`` the executions that processing produced.
    """

    client_order_id: str
    status: OrderStatus
    at: datetime
    venue_order_id: str | None = None
    reject_code: RejectCode | None = None
    reason: str = ""
    fills: tuple[VenueFill, ...] = ()

    @property
    def accepted(self) -> bool:
        """Whether the venue took the order."""
        return self.status is not OrderStatus.REJECTED


class CancelOutcome(StrEnum):
    """What a cancel request achieved."""

    CANCELLED = "CANCELLED"
    TOO_LATE = "TOO_LATE"  # the order had already finished (filled, expired, cancelled)
    NOT_FOUND = "NOT_FOUND"  # the venue does not know the order (or not yet)


@dataclass(frozen=True, slots=True)
class CancelResult:
    """The venue's answer to a cancel."""

    outcome: CancelOutcome
    at: datetime
    venue_order_id: str | None = None
    client_order_id: str | None = None
    status: OrderStatus | None = None
    """The order's status after the request; ``None`` when not found."""


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """A snapshot of one order as the venue sees it."""

    venue_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    status: OrderStatus
    filled_quantity: Decimal
    filled_notional: Decimal
    created_at: datetime
    updated_at: datetime
    expire_at: datetime | None = None

    @property
    def remaining_quantity(self) -> Decimal:
        """Quantity not yet filled."""
        return self.quantity - self.filled_quantity

    @property
    def is_open(self) -> bool:
        """Whether the order still works at the venue."""
        return not self.status.is_terminal

    @property
    def average_price(self) -> Decimal | None:
        """Volume-weighted average fill price, or ``None`` before the first fill."""
        if not self.filled_quantity:
            return None
        return _VWAP.divide(self.filled_notional, self.filled_quantity)


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset of one account: ``free`` to trade, ``locked`` by working orders."""

    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


class ReportKind(StrEnum):
    """What happened to an order (Binance's execution types, renamed).

    A submit the venue refuses is answered by a rejected :class:`SubmitResult`, and
    PaperExchange sends no REJECTED report for it; other venues may.
    """

    ACK = "ACK"
    FILL = "FILL"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """One push from the venue about one order, carrying the order's state after it.

    ``seq`` increases with every report the venue generates for an account, so a consumer
    can tell a duplicate (same ``seq``) and a reordering (a lower ``seq`` after a higher).
    """

    seq: int
    kind: ReportKind
    at: datetime
    venue_order_id: str
    client_order_id: str
    symbol: str
    status: OrderStatus
    filled_quantity: Decimal
    fill: VenueFill | None = None
    reason: str = ""
    code: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the report as JSON-able data with canonical decimal and time text."""
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "at": iso_utc(self.at),
            "venue_order_id": self.venue_order_id,
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "status": self.status.value,
            "filled_quantity": decimal_text(self.filled_quantity),
            "fill": None if self.fill is None else self.fill.as_dict(),
            "reason": self.reason,
            "code": self.code,
        }

    def to_json(self) -> str:
        """Return the report as one line of canonical JSON (same report, same bytes)."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))


def to_event(report: ExecutionReport, order_id: str) -> OrderEvent:
    """Map ``report`` onto the lifecycle event it means for the Ledger's order ``order_id``.

    ACK -> :class:`Acked` (naming the venue order id), FILL -> :class:`Filled`,
    CANCELLED -> :class:`Cancelled`, EXPIRED -> :class:`Expired`,
    REJECTED -> :class:`Rejected`.
    """
    kind = report.kind
    if kind is ReportKind.FILL:
        if report.fill is None:
            raise ValueError(f"FILL report {report.seq} carries no fill")
        return Filled(report.fill.to_fill(order_id))
    if kind is ReportKind.ACK:
        return Acked(at=report.at, connector_order_id=report.venue_order_id)
    if kind is ReportKind.CANCELLED:
        return Cancelled(at=report.at)
    if kind is ReportKind.EXPIRED:
        return Expired(at=report.at)
    return Rejected(at=report.at, reason=report.reason, code=report.code)
