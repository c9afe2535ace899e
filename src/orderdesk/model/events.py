"""What a venue tells us about an order: the inputs of the lifecycle table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from orderdesk.model.fill import Fill

__all__ = [
    "Acked",
    "Cancelled",
    "EventKind",
    "Expired",
    "Filled",
    "OrderEvent",
    "Rejected",
]


class EventKind(StrEnum):
    """The columns of the lifecycle table. A fill is partial or completing by its quantity."""

    ACK = "ack"
    PARTIAL_FILL = "partial fill"
    COMPLETING_FILL = "completing fill"
    CANCEL_ACK = "cancel ack"
    EXPIRE = "expire"
    REJECT = "reject"


def _aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("event time must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Acked:
    """The venue accepted the order, optionally naming its own id for it."""

    at: datetime
    connector_order_id: str | None = None

    def __post_init__(self) -> None:
        _aware(self.at)
        if self.connector_order_id is not None and not 0 < len(self.connector_order_id) <= 128:
            raise ValueError("connector_order_id must be 1-128 characters")


@dataclass(frozen=True, slots=True)
class Filled:
    """The venue executed part or all of the order."""

    fill: Fill

    @property
    def at(self) -> datetime:
        """When the venue executed the fill."""
        return self.fill.executed_at


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The venue confirmed the order is cancelled (the cancel ack), or orderdesk ended it
    locally: ``code`` ``"NOT_SENT"`` when it provably never reached the venue."""

    at: datetime
    code: str | None = None

    def __post_init__(self) -> None:
        _aware(self.at)


@dataclass(frozen=True, slots=True)
class Expired:
    """The order's time in force ran out."""

    at: datetime

    def __post_init__(self) -> None:
        _aware(self.at)


@dataclass(frozen=True, slots=True)
class Rejected:
    """The venue refused the order; ``reason`` says why in the venue's words."""

    at: datetime
    reason: str
    code: str | None = None

    def __post_init__(self) -> None:
        _aware(self.at)


OrderEvent = Acked | Filled | Cancelled | Expired | Rejected
