"""The order lifecycle as one table, and the one function that applies it.

Rows are the status before, columns the event (:class:`EventKind`). A cell is either the
status after, or an :class:`Action`:

=================  =====  ============  ===============  ==========  =======  ========
from \\ event       ack    partial fill  completing fill  cancel ack  expire   reject
=================  =====  ============  ===============  ==========  =======  ========
PENDING            OPEN   PART._FILLED  FILLED           CANCELLED   EXPIRED  REJECTED
OPEN               no-op  PART._FILLED  FILLED           CANCELLED   EXPIRED  REJECTED
PARTIALLY_FILLED   no-op  PART._FILLED  FILLED           CANCELLED   EXPIRED  error
FILLED             no-op  overfill      overfill         no-op       no-op    error
CANCELLED          no-op  keep          FILLED           no-op       no-op    error
EXPIRED            no-op  keep          FILLED           no-op       no-op    error
REJECTED           error  error         error            no-op       no-op    no-op
=================  =====  ============  ===============  ==========  =======  ========

``keep``: the late fill is a fact and is recorded; the status stays. A fill that repeats a
recorded trade id with the same quantity and price is a duplicate, a no-op in every status.
``error`` raises :class:`~orderdesk.errors.InvalidTransition`, ``overfill`` (and any fill
that would exceed the quantity) raises :class:`~orderdesk.errors.Overfill`; both change
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from orderdesk.errors import AckConflict, FillConflict, InvalidTransition, Overfill
from orderdesk.model.decimals import EXACT, decimal_text
from orderdesk.model.enums import OrderStatus
from orderdesk.model.events import (
    Acked,
    Cancelled,
    EventKind,
    Expired,
    Filled,
    OrderEvent,
    Rejected,
)
from orderdesk.model.fill import Fill, OrderFills
from orderdesk.model.order import Order, evolve

__all__ = [
    "TRANSITIONS",
    "Action",
    "Rule",
    "Transition",
    "advance",
    "apply",
    "commit",
    "decide",
    "rule_for",
]


class Action(StrEnum):
    """A table cell that is not simply the next status."""

    NO_OP = "no-op"
    KEEP = "keep"
    OVERFILL = "overfill"
    ERROR = "error"


Rule = OrderStatus | Action

_K = EventKind
_A = Action

# Short names so the table reads as the table in the docstring.
_OPEN, _PART, _FILL = OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED
_CXL, _EXP, _REJ = OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED
_NOOP, _KEEP, _OVER, _ERR = Action.NO_OP, Action.KEEP, Action.OVERFILL, Action.ERROR

_ROWS: Final[dict[OrderStatus, tuple[Rule, ...]]] = {
    #                          ack    partial  complete  cancel  expire  reject
    OrderStatus.PENDING:          (_OPEN, _PART,   _FILL,    _CXL,   _EXP,   _REJ),
    OrderStatus.OPEN:             (_NOOP, _PART,   _FILL,    _CXL,   _EXP,   _REJ),
    OrderStatus.PARTIALLY_FILLED: (_NOOP, _PART,   _FILL,    _CXL,   _EXP,   _ERR),
    OrderStatus.FILLED:           (_NOOP, _OVER,   _OVER,    _NOOP,  _NOOP,  _ERR),
    OrderStatus.CANCELLED:        (_NOOP, _KEEP,   _FILL,    _NOOP,  _NOOP,  _ERR),
    OrderStatus.EXPIRED:          (_NOOP, _KEEP,   _FILL,    _NOOP,  _NOOP,  _ERR),
    OrderStatus.REJECTED:         (_ERR,  _ERR,    _ERR,     _NOOP,  _NOOP,  _NOOP),
}  # fmt: skip

TRANSITIONS: Final[Mapping[OrderStatus, Mapping[EventKind, Rule]]] = MappingProxyType(
    {
        status: MappingProxyType(dict(zip(EventKind, row, strict=True)))
        for status, row in _ROWS.items()
    }
)
"""The lifecycle table as data: ``TRANSITIONS[status][event_kind]`` is a :data:`Rule`."""


def rule_for(status: OrderStatus, kind: EventKind) -> Rule:
    """Return the table cell for ``status`` and ``kind``."""
    return TRANSITIONS[status][kind]


@dataclass(frozen=True, slots=True)
class Transition:
    """The decided effect of one event on one order; :func:`apply` carries it out."""

    order_id: str
    kind: EventKind
    before: OrderStatus
    after: OrderStatus
    rule: Rule
    fill: Fill | None = None
    """A new fill to record (``None`` for a duplicate or a non-fill event)."""
    connector_order_id: str | None = None
    """A venue order id learned from this event."""
    duplicate: bool = False
    """The event repeats one already applied (same trade id, or a repeated ack)."""

    @property
    def changed(self) -> bool:
        """Whether applying it changes the order or its fills."""
        return (
            self.after is not self.before
            or self.fill is not None
            or self.connector_order_id is not None
        )


_KIND_OF: Final = {Cancelled: _K.CANCEL_ACK, Expired: _K.EXPIRE, Rejected: _K.REJECT}


def decide(order: Order, fills: OrderFills, event: OrderEvent) -> Transition:
    """Return what ``event`` does to ``order``; raise if the table forbids it. Pure."""
    before = order.status
    if isinstance(event, Filled):
        return _decide_fill(order, fills, event.fill)
    if isinstance(event, Acked):
        rule = TRANSITIONS[before][_K.ACK]
        if rule is _A.ERROR:
            raise InvalidTransition(order.order_id, before.value, _K.ACK.value)
        new_id = event.connector_order_id
        known = order.connector_order_id
        if new_id is not None and known is not None and new_id != known:
            raise AckConflict(order.order_id, known, new_id)
        learned = new_id if known is None else None
        after = rule if isinstance(rule, OrderStatus) else before
        return Transition(
            order.order_id,
            _K.ACK,
            before,
            after,
            rule,
            connector_order_id=learned,
            duplicate=rule is _A.NO_OP and learned is None,
        )
    kind = _KIND_OF[type(event)]
    rule = TRANSITIONS[before][kind]
    if rule is _A.ERROR:
        raise InvalidTransition(order.order_id, before.value, kind.value)
    after = rule if isinstance(rule, OrderStatus) else before
    return Transition(order.order_id, kind, before, after, rule, duplicate=after is before)


def _decide_fill(order: Order, fills: OrderFills, fill: Fill) -> Transition:
    before = order.status
    if fill.order_id != order.order_id:
        raise ValueError(f"fill {fill.fill_id} belongs to {fill.order_id}, not {order.order_id}")
    known = fills.get(fill.trade_id)
    if known is not None:
        if known.quantity != fill.quantity or known.price != fill.price:
            raise FillConflict(
                order.order_id,
                fill.trade_id,
                f"{decimal_text(known.quantity)} @ {decimal_text(known.price)}",
                f"{decimal_text(fill.quantity)} @ {decimal_text(fill.price)}",
            )
        kind = _K.COMPLETING_FILL if fills.remaining_quantity == 0 else _K.PARTIAL_FILL
        return Transition(order.order_id, kind, before, before, _A.NO_OP, duplicate=True)
    filled: Decimal = EXACT.add(fills.filled_quantity, fill.quantity)
    kind = _K.PARTIAL_FILL if filled < order.quantity else _K.COMPLETING_FILL
    rule = TRANSITIONS[before][kind]
    if rule is _A.ERROR:
        raise InvalidTransition(order.order_id, before.value, kind.value)
    if rule is _A.OVERFILL or filled > order.quantity:
        raise Overfill(
            order.order_id,
            decimal_text(order.quantity),
            decimal_text(fills.filled_quantity),
            decimal_text(fill.quantity),
        )
    after = rule if isinstance(rule, OrderStatus) else before
    return Transition(order.order_id, kind, before, after, rule, fill=fill)


def advance(order: Order, transition: Transition, at: datetime) -> Order:
    """Return ``order`` as a decided ``transition`` at ``at`` leaves it: a new sealed value
    (``order`` itself when nothing about it changes). Its fill is the caller's to record."""
    changes: dict[str, object] = {}
    if transition.after is not transition.before:
        changes["status"] = transition.after
    if transition.connector_order_id is not None:
        changes["connector_order_id"] = transition.connector_order_id
    if at > order.updated_at:
        changes["updated_at"] = at if at.tzinfo is UTC else at.astimezone(UTC)
    return evolve(order, **changes) if changes else order


def apply(order: Order, fills: OrderFills, event: OrderEvent) -> Transition:
    """Apply ``event`` to a trader's own ``order`` and its ``fills`` through the table,
    changing both in place (the Ledger's immutable records use :func:`advance`).

    Raises :class:`~orderdesk.errors.LifecycleError` and changes nothing when the table
    forbids the event. A duplicate event changes nothing and returns ``duplicate=True``.
    """
    transition = decide(order, fills, event)
    if transition.changed:
        commit(order, fills, transition, event.at)
    return transition


def commit(order: Order, fills: OrderFills, transition: Transition, at: datetime) -> None:
    """Write a decided transition into a mutable ``order`` and ``fills`` (used by
    :func:`apply`)."""
    if transition.fill is not None:
        fills.add(transition.fill)
    updates: dict[str, object] = {}
    if transition.after is not transition.before:
        updates["status"] = transition.after
    if transition.connector_order_id is not None:
        updates["connector_order_id"] = transition.connector_order_id
    if at > order.updated_at:
        updates["updated_at"] = at
    for name, value in updates.items():
        setattr(order, name, value)
