"""The closed vocabularies of an order: its type, status, side, time in force."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Liquidity", "OrderStatus", "OrderType", "Side", "TimeInForce"]


class OrderType(StrEnum):
    """How the order is priced: at the market, at a limit, or a limit once a stop trades."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_LIMIT = "STOP_LIMIT"


class OrderStatus(StrEnum):
    """Where the order is in its life; changed only through the lifecycle table."""

    PENDING = "PENDING"  # Created, not yet sent to exchange
    OPEN = "OPEN"  # Sent to exchange, awaiting fill
    PARTIALLY_FILLED = "PARTIALLY_FILLED"  # Partial execution
    FILLED = "FILLED"  # Completely filled
    CANCELLED = "CANCELLED"  # Cancelled by user/system
    REJECTED = "REJECTED"  # Rejected by exchange
    EXPIRED = "EXPIRED"  # Time-in-force expired

    @property
    def is_terminal(self) -> bool:
        """Whether the order has finished working at the venue."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class Side(StrEnum):
    """Execution direction: BUY or SELL the base asset."""

    BUY = "BUY"
    SELL = "SELL"


class TimeInForce(StrEnum):
    """How long an order works; it is what lets a venue end an order EXPIRED.

    GTC works until cancelled; IOC fills what it can at once and cancels the rest; FOK fills
    completely at once or not at all; GTD works until ``expire_at``.
    """

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"
    GTD = "GTD"


class Liquidity(StrEnum):
    """Whether a fill added liquidity to the book (MAKER) or took it (TAKER)."""

    MAKER = "MAKER"
    TAKER = "TAKER"
