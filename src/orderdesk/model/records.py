"""What the Ledger keeps beside each Order, and the Journal's entries: plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from orderdesk.model.order import Order

__all__ = ["JournalEntry", "JournalKind", "NewEntry", "OrderRecord", "SubmitState"]


class SubmitState(StrEnum):
    """How far the order's submission got: kept beside the status, never in it."""

    NOT_SENT = "NOT_SENT"  # intent recorded, nothing left the process
    SENT = "SENT"  # the request is on its way
    IN_DOUBT = "IN_DOUBT"  # sent, no answer: never resend blindly
    ACKED = "ACKED"  # the venue has it


class JournalKind(StrEnum):
    """What a journal entry records."""

    PLAN_RECORDED = "plan_recorded"
    GROUP_RECORDED = "group_recorded"
    ORDER_RECORDED = "order_recorded"
    ACKED = "acked"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"
    SUBMIT_STATE = "submit_state"
    CANCEL_REQUESTED = "cancel_requested"
    ALARM = "alarm"  # a report that contradicts the record: refused, changed nothing


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as the Ledger holds it: the Order DTO plus the facts kept beside it.

    ``filled_quantity``, ``notional`` and ``fill_count`` are the store's running totals over
    the order's fills, kept so that applying a fill is constant-time; the Order never
    carries them. ``version`` rises by one with every committed change.

    The times are the execution's facts for statistics: ``sent_at`` and ``acked_at`` when
    the submit left and was settled, ``first_fill_at`` and ``last_fill_at`` the earliest and
    latest ``executed_at`` among the fills (reports may arrive out of order), and
    ``completed_at`` when the order reached a terminal status.
    """

    order: Order
    account: str
    venue: str
    client_order_id: str
    plan_id: str | None
    submit_state: SubmitState
    cancel_requested_at: datetime | None
    version: int
    filled_quantity: Decimal
    notional: Decimal
    fill_count: int
    arrival_price: Decimal | None = None
    sent_at: datetime | None = None
    acked_at: datetime | None = None
    first_fill_at: datetime | None = None
    completed_at: datetime | None = None
    last_fill_at: datetime | None = None

    @property
    def order_id(self) -> str:
        """The order's id."""
        return self.order.order_id


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One append-only journal entry; ``seq`` orders entries, ``payload`` is a JSON object."""

    seq: int
    at: datetime
    kind: JournalKind
    account: str
    order_id: str | None
    group_id: str | None
    plan_id: str | None
    causation_id: str | None
    correlation_id: str | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A journal entry to append: everything but the ``seq`` the store gives it.

    The one value the Ledger hands every store; each store encodes ``payload`` (a JSON
    object of plain values) once, as it writes it.
    """

    at: datetime
    kind: JournalKind
    account: str
    order_id: str | None
    group_id: str | None
    plan_id: str | None
    causation_id: str | None
    correlation_id: str | None
    payload: Mapping[str, Any]

    @classmethod
    def of_order(
        cls,
        kind: JournalKind,
        record: OrderRecord,
        payload: Mapping[str, Any],
        *,
        at: datetime,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> NewEntry:
        """An entry of ``record``'s order, linked to its group and plan."""
        return cls(
            at, kind, record.account, record.order.order_id, record.order.parent_group_id,
            record.plan_id, causation_id, correlation_id, payload,
        )  # fmt: skip

    def stored(self, seq: int, payload: Mapping[str, Any]) -> JournalEntry:
        """The entry as read back: numbered ``seq``, with ``payload`` as decoded."""
        return JournalEntry(
            seq, self.at, self.kind, self.account, self.order_id, self.group_id,
            self.plan_id, self.causation_id, self.correlation_id, payload,
        )  # fmt: skip
