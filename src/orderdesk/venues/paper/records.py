"""The venue's own mutable record of an order, and account wallets: the hot-path state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from orderdesk.model import (
    TERMINAL_STATUSES,
    Market,
    OrderStatus,
    OrderType,
    Side,
    SubmitRequest,
    TimeInForce,
    VenueOrder,
)

if TYPE_CHECKING:
    from orderdesk.venues.paper.engine import Account

__all__ = ["PaperOrder", "Wallet"]

_ZERO = Decimal(0)
_BUY = Side.BUY
_OPEN = OrderStatus.OPEN
_STOP_LIMIT = OrderType.STOP_LIMIT


class PaperOrder:
    """One order inside the venue. Only the exchange mutates it; callers get snapshots."""

    __slots__ = (
        "account",
        "base_asset",
        "base_wallet",
        "client_order_id",
        "closed_at",
        "created_at",
        "expire_at",
        "filled",
        "is_buy",
        "last_due",
        "notional",
        "order_type",
        "owner",
        "price",
        "quantity",
        "quote_asset",
        "quote_wallet",
        "reserved",
        "resting",
        "side",
        "status",
        "stop_price",
        "symbol",
        "symbol_fills",
        "time_in_force",
        "triggered",
        "updated_at",
        "venue_order_id",
    )

    def __init__(
        self,
        venue_order_id: str,
        owner: Account,
        market: Market,
        request: SubmitRequest,
        at: datetime,
    ) -> None:
        self.venue_order_id = venue_order_id
        self.account = owner.name
        # Settlement touches these on every fill: resolve them once, here.
        self.owner = owner
        self.base_asset = market.base_asset
        self.quote_asset = market.quote_asset
        self.base_wallet, self.quote_wallet, self.symbol_fills = owner.settles(market)
        self.client_order_id = request.client_order_id
        self.symbol = request.symbol
        self.side = side = request.side
        self.is_buy = side is _BUY
        self.order_type = kind = request.order_type
        self.time_in_force = request.time_in_force
        self.quantity = request.quantity
        self.price = request.price
        self.stop_price = request.stop_price
        self.expire_at = request.expire_at
        self.status = _OPEN
        self.filled = _ZERO
        self.notional = _ZERO
        self.reserved = _ZERO
        self.resting = False
        self.triggered = kind is not _STOP_LIMIT
        self.created_at = at
        self.updated_at = at
        self.closed_at: datetime | None = None
        self.last_due = at

    @property
    def remaining(self) -> Decimal:
        """Quantity still to fill."""
        return self.quantity - self.filled

    @property
    def is_open(self) -> bool:
        """Whether the order still works."""
        return self.status not in TERMINAL_STATUSES

    @property
    def is_resting_kind(self) -> bool:
        """Whether what is left of the order may rest in the book after matching."""
        tif = self.time_in_force
        return tif is TimeInForce.GTC or tif is TimeInForce.GTD

    def snapshot(self) -> VenueOrder:
        """Return the order as the immutable value callers see."""
        return VenueOrder(
            venue_order_id=self.venue_order_id,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            time_in_force=self.time_in_force,
            quantity=self.quantity,
            price=self.price,
            stop_price=self.stop_price,
            status=self.status,
            filled_quantity=self.filled,
            filled_notional=self.notional,
            created_at=self.created_at,
            updated_at=self.updated_at,
            expire_at=self.expire_at,
        )


class Wallet:
    """One asset of one account: ``free`` and ``locked`` (reserved by working orders)."""

    __slots__ = ("free", "locked")

    def __init__(self, free: Decimal = _ZERO) -> None:
        self.free = free
        self.locked = _ZERO
