"""How one decided change moves an OrderRecord: status (through the lifecycle), submit state
and the execution facts kept beside the order. Pure; the Ledger and Journal replay share it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from orderdesk.errors import FillConflict, InvalidTransition
from orderdesk.model.decimals import EXACT, decimal_text
from orderdesk.model.enums import OrderStatus
from orderdesk.model.events import EventKind, Filled, OrderEvent
from orderdesk.model.fill import Fill, OrderFills
from orderdesk.model.lifecycle import Transition, advance, decide
from orderdesk.model.order import Order, seal
from orderdesk.model.plans import ACCOUNT
from orderdesk.model.records import OrderRecord, SubmitState

__all__ = [
    "SUBMIT_MOVES",
    "after_resend_claim",
    "StoredFills",
    "after_cancel_request",
    "after_event",
    "after_submit_state",
    "decide_event",
    "new_record",
]

_ZERO: Final = Decimal(0)
_ACCOUNT: Final = re.compile(ACCOUNT)
_S = SubmitState

_VENUE_EVIDENCE: Final = frozenset(
    {EventKind.ACK, EventKind.PARTIAL_FILL, EventKind.COMPLETING_FILL}
)

SUBMIT_MOVES: Final = MappingProxyType(
    {
        _S.NOT_SENT: frozenset({_S.SENT}),
        # Back to NOT_SENT only when the request provably never left (refused, 429, ban).
        _S.SENT: frozenset({_S.IN_DOUBT, _S.ACKED, _S.NOT_SENT}),
        _S.IN_DOUBT: frozenset({_S.ACKED, _S.SENT, _S.NOT_SENT}),
        _S.ACKED: frozenset[SubmitState](),
    }
)
"""The submit states each state may move to; staying put is always an idempotent no-op."""


class StoredFills(OrderFills):
    """An order's fills as the store holds them: running totals plus the one fill at stake.

    Enough for :func:`~orderdesk.model.lifecycle.decide`, in constant time however many
    fills the order has.
    """

    __slots__ = ("_known",)

    def __init__(self, record: OrderRecord, known: Fill | None) -> None:
        # The totals alone: no fill is added, so the parent's per-fill dicts are not made.
        self.quantity = record.order.quantity
        self.filled_quantity = record.filled_quantity
        self.notional = record.notional
        self._known = known

    def get(self, trade_id: str) -> Fill | None:
        """Return the recorded fill with ``trade_id`` if it is the one looked up."""
        known = self._known
        return known if known is not None and known.trade_id == trade_id else None


def new_record(
    account: str,
    order: Order,
    *,
    venue: str,
    client_order_id: str,
    plan_id: str | None,
    arrival_price: Decimal | None,
) -> OrderRecord:
    """Return the record of a newly recorded PENDING order."""
    if _ACCOUNT.fullmatch(account) is None:
        raise ValueError(f"{account!r} is not an account name ({ACCOUNT})")
    if order.status is not OrderStatus.PENDING:
        raise ValueError(f"a new order must be PENDING, not {order.status.value}")
    if not 0 < len(client_order_id) <= 64:
        raise ValueError("client_order_id must be 1-64 characters")
    if not 0 < len(venue) <= 64:
        raise ValueError("venue must be 1-64 characters")
    return OrderRecord(
        order=seal(order),
        account=account,
        venue=venue,
        client_order_id=client_order_id,
        plan_id=plan_id,
        submit_state=SubmitState.NOT_SENT,
        cancel_requested_at=None,
        version=1,
        filled_quantity=_ZERO,
        notional=_ZERO,
        fill_count=0,
        arrival_price=arrival_price,
    )


def decide_event(record: OrderRecord, known: Fill | None, event: OrderEvent) -> Transition:
    """Decide ``event`` for ``record`` given the fill already recorded for its trade id.

    ``known`` is whatever the venue's (symbol, trade id) already names on the order's side,
    on any order: a trade recorded on another order of that side is a
    :class:`~orderdesk.errors.FillConflict`. (A self-trade fills one BUY and one SELL under
    one trade id: each side is its own fill.)
    """
    if isinstance(event, Filled) and known is not None and known.order_id != record.order_id:
        fill = event.fill
        raise FillConflict(
            record.order_id,
            fill.trade_id,
            f"a fill of order {known.order_id}",
            f"{decimal_text(fill.quantity)} @ {decimal_text(fill.price)} for this order",
        )
    return decide(record.order, StoredFills(record, known), event)


def _earlier(known: datetime | None, new: datetime | None) -> datetime | None:
    """Return the earlier of two optional times (fills may be reported out of order)."""
    return new if known is None or (new is not None and new < known) else known


def _later(known: datetime | None, new: datetime | None) -> datetime | None:
    """Return the later of two optional times."""
    return new if known is None or (new is not None and new > known) else known


def after_event(record: OrderRecord, transition: Transition, at: datetime) -> OrderRecord | None:
    """Return the record after a decided event at ``at``, or ``None`` if nothing changes."""
    # An ack or a fill shows the venue holds the order: the submit is settled. So does a
    # cancel or an expiry of an order that was sent; of one never sent they are local (an
    # intent cancelled before it left) and leave it NOT_SENT. A reject settles nothing.
    state, kind = record.submit_state, transition.kind
    settled = state is not _S.ACKED and (
        kind in _VENUE_EVIDENCE or (kind is not EventKind.REJECT and state is not _S.NOT_SENT)
    )
    if not (transition.changed or settled):
        return None
    order = advance(record.order, transition, at) if transition.changed else record.order
    fill = transition.fill
    if fill is None:
        filled, notional, count = record.filled_quantity, record.notional, record.fill_count
        first_fill_at, last_fill_at = record.first_fill_at, record.last_fill_at
    else:
        filled = EXACT.add(record.filled_quantity, fill.quantity)
        notional = EXACT.add(record.notional, EXACT.multiply(fill.quantity, fill.price))
        count = record.fill_count + 1
        first_fill_at = _earlier(record.first_fill_at, fill.executed_at)
        last_fill_at = _later(record.last_fill_at, fill.executed_at)
    became_terminal = transition.after.is_terminal and not transition.before.is_terminal
    return OrderRecord(
        order,
        record.account,
        record.venue,
        record.client_order_id,
        record.plan_id,
        _S.ACKED if settled else state,
        record.cancel_requested_at,
        record.version + 1,
        filled,
        notional,
        count,
        record.arrival_price,
        record.sent_at,
        record.acked_at or (at if settled else None),
        first_fill_at,
        record.completed_at or (at if became_terminal else None),
        last_fill_at,
    )


def after_submit_state(record: OrderRecord, state: SubmitState, at: datetime) -> OrderRecord | None:
    """Return the record moved to submit ``state`` at ``at``, or ``None`` if already there."""
    current = record.submit_state
    if state is current:
        return None
    if state not in SUBMIT_MOVES[current]:
        raise InvalidTransition(record.order_id, f"submit {current.value}", f"submit {state}")
    return OrderRecord(
        record.order,
        record.account,
        record.venue,
        record.client_order_id,
        record.plan_id,
        state,
        record.cancel_requested_at,
        record.version + 1,
        record.filled_quantity,
        record.notional,
        record.fill_count,
        record.arrival_price,
        record.sent_at or (at if state is _S.SENT else None),
        record.acked_at or (at if state is _S.ACKED else None),
        record.first_fill_at,
        record.completed_at,
        record.last_fill_at,
    )


def after_resend_claim(record: OrderRecord) -> OrderRecord:
    """Return the record claimed for a resend: SENT, one version on (even from SENT, whose
    earlier send went stale), its first ``sent_at`` kept for the statistics."""
    return replace(record, version=record.version + 1, submit_state=_S.SENT)


def after_cancel_request(record: OrderRecord, at: datetime) -> OrderRecord | None:
    """Return the record with its cancel requested at ``at``; ``None`` if already requested
    or the order has finished (a cancel racing a fill is not an error)."""
    if record.cancel_requested_at is not None or record.order.status.is_terminal:
        return None
    return replace(record, version=record.version + 1, cancel_requested_at=at)
