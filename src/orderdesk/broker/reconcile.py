"""Reconciliation: what the venue knows that the Ledger does not, and the other way round.

Run at start (after a crash) and on demand. The report lists, for the current account:

* ``missing_here``: an order at the venue the Ledger has no record of (adopted on apply,
  into this account only: the venue showed it to this account's credentials);
* ``behind``: a recorded order the venue has moved on (acked, filled, cancelled, expired)
  without the Ledger hearing of it (its events and fills are recorded on apply);
* ``in_doubt``: a submit whose outcome the Ledger does not know (resolved on apply, by the
  in-doubt protocol: asked, and resent only after the visibility window);
* ``never_sent``: intent recorded but never sent, typically a crash between the two (on
  apply it is cancelled locally: a stale intent is not traded without being asked again);
* ``unknown_there``: a working order the venue does not show; reported, never guessed at;
* ``contradicted``: an order recorded REJECTED that the venue shows working or filled (on
  apply its report is journaled as an integrity alarm, for a person to look at);
* ``cancel_pending``: an order whose cancel was asked for that the venue still works (the
  cancel found nothing while the venue hid it, or was lost): on apply it is cancelled there.

:func:`plan` is the comparison itself: a pure function from what the Ledger holds and what
the venue shows to the list of :class:`Action` values that settle each difference, with no
I/O. :class:`~orderdesk.broker.reconciler.Reconciler` reads both sides, lists the actions
in the report, and carries them out unless ``dry_run``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from orderdesk.model import OrderStatus, OrderType
from orderdesk.model.decimals import decimal_text
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.model.venue import VenueOrder

__all__ = [
    "WORKING",
    "Action",
    "Difference",
    "DifferenceKind",
    "ReconcileReport",
    "lookback_start",
    "plan",
]

WORKING: Final = frozenset({OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})
"""The statuses of the orders reconciliation starts from: those the venue may still work."""


class DifferenceKind(StrEnum):
    """How the Ledger and the venue disagree about one order."""

    MISSING_HERE = "missing_here"
    BEHIND = "behind"
    IN_DOUBT = "in_doubt"
    NEVER_SENT = "never_sent"
    UNKNOWN_THERE = "unknown_there"
    CONTRADICTED = "contradicted"
    CANCEL_PENDING = "cancel_pending"


@dataclass(frozen=True, slots=True)
class Difference:
    """One disagreement, and what applying the reconciliation does about it."""

    kind: DifferenceKind
    client_order_id: str
    order_id: str | None
    venue_order_id: str | None
    ledger_status: str | None
    venue_status: str | None
    ledger_filled: str | None
    venue_filled: str | None
    action: str


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """The differences found for one account at one venue, and whether they were applied."""

    account: str
    venue: str
    at: datetime
    dry_run: bool
    differences: tuple[Difference, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        """Return how many differences of each kind were found."""
        counts = dict.fromkeys((k.value for k in DifferenceKind), 0)
        for difference in self.differences:
            counts[difference.kind.value] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-able data."""
        return {
            "account": self.account,
            "venue": self.venue,
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "differences": [asdict(d) for d in self.differences],
        }

    def to_json(self) -> str:
        """Return the report as JSON."""
        return json.dumps(self.to_dict(), indent=2)


ACTIONS: Final[Mapping[DifferenceKind, str]] = {
    DifferenceKind.MISSING_HERE: "adopt into this account",
    DifferenceKind.CONTRADICTED: "alarm: rejected here, placed there; a person must look",
    DifferenceKind.BEHIND: "record the venue's events",
    DifferenceKind.CANCEL_PENDING: "cancel at the venue",
    DifferenceKind.NEVER_SENT: "cancel locally",
    DifferenceKind.IN_DOUBT: "resolve (ask; resend after the window)",
    DifferenceKind.UNKNOWN_THERE: "report only",
}
"""What applying the reconciliation does about each kind of difference."""


@dataclass(frozen=True, slots=True)
class Action:
    """One difference and what settles it: the Ledger's record of the order (``None`` when
    it has none) and the venue's (``None`` when the venue does not show it)."""

    kind: DifferenceKind
    client_order_id: str
    record: OrderRecord | None
    found: VenueOrder | None

    def difference(self, record: OrderRecord | None = None) -> Difference:
        """Return the report's line for this action, showing the Ledger's side as
        ``record`` (by default the record the action was planned from)."""
        if record is None:
            record = self.record
        found = self.found
        return Difference(
            kind=self.kind,
            client_order_id=self.client_order_id,
            order_id=None if record is None else record.order_id,
            venue_order_id=None if found is None else found.venue_order_id,
            ledger_status=None if record is None else record.order.status.value,
            venue_status=None if found is None else found.status.value,
            ledger_filled=None if record is None else decimal_text(record.filled_quantity),
            venue_filled=None if found is None else decimal_text(found.filled_quantity),
            action=ACTIONS[self.kind],
        )


def lookback_start(working: Sequence[OrderRecord], now: datetime, lookback: timedelta) -> datetime:
    """How far back to read the venue's closed orders: the oldest working order, or
    ``lookback`` before ``now`` if that is earlier."""
    oldest = min((record.order.created_at for record in working), default=now - lookback)
    return min(oldest, now - lookback)


def _behind(record: OrderRecord, found: VenueOrder) -> bool:
    return (
        record.order.status is not found.status
        or record.filled_quantity != found.filled_quantity
        or record.submit_state is not SubmitState.ACKED
    )


def plan(
    working: Sequence[OrderRecord],
    recorded: Mapping[str, OrderRecord],
    at_venue: Mapping[str, VenueOrder],
) -> list[Action]:
    """Compare the Ledger with the venue for one account; return what settles each
    difference, in the order it is reported and carried out.

    ``working``: the account's orders in a :data:`WORKING` status, as loaded. ``recorded``:
    the account's record under a client order id the venue shows and no working order has
    (a finished order, say), for each such id the Ledger holds. ``at_venue``: the venue's
    open and recent closed orders by client order id.

    First each venue order, by client order id: one the Ledger does not hold is
    ``missing_here``; one recorded REJECTED that the venue shows otherwise is
    ``contradicted``; one the Ledger is behind on (status, filled quantity, or a submit
    not acknowledged) is ``behind``; and then, if its cancel was asked for and the venue
    still works it, ``cancel_pending``. Then each working order the venue does not show:
    unsettled, it is ``never_sent`` (never left) or ``in_doubt``; acknowledged, it is
    ``unknown_there``.
    """
    actions: list[Action] = []
    by_client = {record.client_order_id: record for record in working}
    for client_id, found in sorted(at_venue.items()):
        record = by_client.get(client_id) or recorded.get(client_id)
        if record is None:
            actions.append(Action(DifferenceKind.MISSING_HERE, client_id, None, found))
            continue
        if record.order.status is OrderStatus.REJECTED:
            if found.status is not OrderStatus.REJECTED:
                actions.append(Action(DifferenceKind.CONTRADICTED, client_id, record, found))
        elif _behind(record, found):
            actions.append(Action(DifferenceKind.BEHIND, client_id, record, found))
        if record.cancel_requested_at is not None and found.is_open:
            actions.append(Action(DifferenceKind.CANCEL_PENDING, client_id, record, found))
    for record in working:
        if record.submit_state is SubmitState.ACKED or record.client_order_id in at_venue:
            continue
        kind = (
            DifferenceKind.NEVER_SENT
            if record.submit_state is SubmitState.NOT_SENT
            else DifferenceKind.IN_DOUBT
        )
        actions.append(Action(kind, record.client_order_id, record, None))
    for record in working:
        if record.submit_state is not SubmitState.ACKED or record.client_order_id in at_venue:
            continue
        if record.order.order_type is OrderType.MARKET and record.order.status.is_terminal:
            continue
        actions.append(Action(DifferenceKind.UNKNOWN_THERE, record.client_order_id, record, None))
    return actions
