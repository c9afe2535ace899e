"""What the venue says, recorded: one event, a submit's reply, an execution report.

Every event goes through the Ledger's lifecycle table. An integrity alarm (an overfill, a
trade id with other figures, a REJECTED order the venue shows working) changes nothing and
is kept in :attr:`Recorder.alarms`; an event the table forbids here (a reject after a fill)
changes nothing either, and the venue's later reports settle the order. Each change is
published to the subscribers once it is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from orderdesk.errors import IntegrityAlarm, LifecycleError, NotFound
from orderdesk.ledger import Ledger
from orderdesk.model import (
    Acked,
    Cancelled,
    Expired,
    Fill,
    Filled,
    OrderEvent,
    OrderStatus,
    Rejected,
)
from orderdesk.model.records import OrderRecord
from orderdesk.model.venue import (
    ExecutionReport,
    RejectCode,
    SubmitRequest,
    SubmitResult,
    to_event,
)

__all__ = ["NOT_SENT_CODE", "VENUE_END", "Recorder", "is_duplicate", "request_of"]

NOT_SENT_CODE: Final = "NOT_SENT"
"""The reject code of an order that provably never reached the venue."""

VENUE_END: Final[dict[OrderStatus, type[Cancelled] | type[Expired]]] = {
    OrderStatus.CANCELLED: Cancelled,
    OrderStatus.EXPIRED: Expired,
}
"""The event that records a venue's end of an order other than a fill or a reject."""


def request_of(record: OrderRecord) -> SubmitRequest:
    """Return the request a recorded order is sent as."""
    order = record.order
    return SubmitRequest(
        client_order_id=record.client_order_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        quantity=order.quantity,
        price=order.price,
        stop_price=order.stop_price,
        time_in_force=order.time_in_force,
        expire_at=order.expire_at,
    )


def is_duplicate(result: SubmitResult) -> bool:
    """A refusal because the venue already holds an order under this client id."""
    return not result.accepted and result.reject_code is RejectCode.DUPLICATE_CLIENT_ORDER_ID


Publish = Callable[[OrderRecord, Fill | None], None]


class Recorder:
    """Apply the venue's events to the Ledger for an account, and publish each change."""

    def __init__(self, ledger: Ledger, publish: Publish) -> None:
        self._ledger = ledger
        self._publish = publish
        self.alarms: list[IntegrityAlarm] = []
        """Integrity alarms raised by venue reports (an overfill, a conflicting trade)."""

    def apply(
        self,
        account: str,
        order_id: str,
        event: OrderEvent,
        cause: str,
        held: OrderRecord | None = None,
    ) -> OrderRecord:
        """Record one event; return the order as it then stands. ``held``: the order as the
        caller holds it, which the ledger writes against (reading it only if stale)."""
        try:
            applied = self._ledger.apply_and_get(
                account, order_id, event, causation_id=cause, held=held
            )
        except IntegrityAlarm as alarm:
            self.alarms.append(alarm)
            return self._ledger.get(account, order_id)
        except LifecycleError:
            # An event the table forbids here (a reject after a fill): the ledger changed
            # nothing and journaled nothing; the venue's later reports settle the order.
            return self._ledger.get(account, order_id)
        transition = applied.transition
        if transition.changed:
            self._publish(applied.record, transition.fill)
        return applied.record

    def apply_all(
        self,
        account: str,
        order_id: str,
        events: list[OrderEvent],
        cause: str,
        held: OrderRecord | None = None,
    ) -> OrderRecord:
        """Record what one reply said (an ack, its fills, its end) in one transaction."""
        if len(events) == 1:
            return self.apply(account, order_id, events[0], cause, held)
        try:
            outcomes = self._ledger.apply_all(
                account, order_id, events, causation_id=cause, held=held
            )
        except LifecycleError:
            # One of them is refused or alarming, and the transaction recorded none: apply
            # them one at a time, each settled on its own as it always was.
            record = self.apply(account, order_id, events[0], cause)
            for event in events[1:]:
                record = self.apply(account, order_id, event, cause)
            return record
        for applied in outcomes:
            if applied.transition.changed:
                self._publish(applied.record, applied.transition.fill)
        return outcomes[-1].record

    def adopt_result(
        self,
        account: str,
        order_id: str,
        result: SubmitResult,
        held: OrderRecord | None = None,
    ) -> OrderRecord:
        """Record a submit's reply: its reject, or its ack with the fills and end it holds."""
        at = result.at
        if not result.accepted:
            code = None if result.reject_code is None else result.reject_code.value
            event = Rejected(at=at, reason=result.reason, code=code)
            return self.apply(account, order_id, event, "submit:reply", held)
        events: list[OrderEvent] = [Acked(at=at, connector_order_id=result.venue_order_id)]
        events += (Filled(venue_fill.to_fill(order_id)) for venue_fill in result.fills)
        end = VENUE_END.get(result.status)
        if end is not None:
            events.append(end(at=at))
        return self.apply_all(account, order_id, events, "submit:reply", held)

    def on_report(self, account: str, venue: str, report: ExecutionReport) -> OrderRecord | None:
        """Record one execution report of ``account``; ``None`` if not one of its orders."""
        try:
            record = self._ledger.get_by_client_order_id(account, venue, report.client_order_id)
        except NotFound:
            return None
        event = to_event(report, record.order_id)
        if self._ledger.is_duplicate(record, event):
            # A repeat (an ack of an acked order, a trade already recorded): it would change
            # nothing and publish nothing, so it costs this read instead of a transaction.
            return record
        return self.apply(account, record.order_id, event, f"report:{report.seq}", record)
