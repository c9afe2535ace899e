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

``dry_run`` computes the report and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any

from orderdesk.broker.retry import Operation
from orderdesk.model import OrderStatus, OrderType
from orderdesk.model.decimals import decimal_text
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.model.venue import VenueOrder
from orderdesk.ports import OrderQuery

if TYPE_CHECKING:
    from orderdesk.broker.core import AsyncBroker

__all__ = ["Difference", "DifferenceKind", "ReconcileReport", "reconcile"]

_WORKING = frozenset({OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})


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


def _difference(
    kind: DifferenceKind,
    action: str,
    record: OrderRecord | None,
    found: VenueOrder | None,
    client_order_id: str,
) -> Difference:
    return Difference(
        kind=kind,
        client_order_id=client_order_id,
        order_id=None if record is None else record.order_id,
        venue_order_id=None if found is None else found.venue_order_id,
        ledger_status=None if record is None else record.order.status.value,
        venue_status=None if found is None else found.status.value,
        ledger_filled=None if record is None else decimal_text(record.filled_quantity),
        venue_filled=None if found is None else decimal_text(found.filled_quantity),
        action=action,
    )


def _behind(record: OrderRecord, found: VenueOrder) -> bool:
    return (
        record.order.status is not found.status
        or record.filled_quantity != found.filled_quantity
        or record.submit_state is not SubmitState.ACKED
    )


async def reconcile(
    broker: AsyncBroker, *, dry_run: bool = False, lookback: timedelta = timedelta(days=1)
) -> ReconcileReport:
    """Compare the current account's Ledger with its venue; unless ``dry_run``, fix it."""
    session = broker._require()
    ledger, connector, call = broker.ledger, session.connector, session.retrier.call
    account, venue, now = session.account, session.venue, broker.clock.now()
    working = list(ledger.load_all(account, OrderQuery(statuses=_WORKING)))
    unsettled = [r for r in working if r.submit_state is not SubmitState.ACKED]
    since = min((r.order.created_at for r in working), default=now - lookback)
    since = min(since, now - lookback)
    symbols = sorted({r.order.symbol for r in working} | set((await broker.markets()).keys()))
    at_venue: dict[str, VenueOrder] = {}
    for found in await call(Operation.QUERY, lambda: connector.open_orders(None)):
        at_venue[found.client_order_id] = found
    for symbol in symbols:
        closed = await call(Operation.QUERY, partial(connector.closed_orders, symbol, since))
        for found in closed:
            at_venue.setdefault(found.client_order_id, found)

    differences: list[Difference] = []
    by_client = {r.client_order_id: r for r in working}
    for client_id, found in sorted(at_venue.items()):
        record = by_client.get(client_id) or broker.find_client_order(client_id)
        if record is None:
            differences.append(
                _difference(
                    DifferenceKind.MISSING_HERE, "adopt into this account", None, found, client_id
                )
            )
            if not dry_run:
                await broker.adopt_unknown(found, since)
        elif record.order.status is OrderStatus.REJECTED:
            if found.status is not OrderStatus.REJECTED:
                differences.append(
                    _difference(
                        DifferenceKind.CONTRADICTED,
                        "alarm: rejected here, placed there; a person must look",
                        record,
                        found,
                        client_id,
                    )
                )
                if not dry_run:
                    broker.contradicted(record, found)
        elif _behind(record, found):
            differences.append(
                _difference(
                    DifferenceKind.BEHIND, "record the venue's events", record, found, client_id
                )
            )
            if not dry_run:
                record = await broker.catch_up(record, found, since)
        if record is not None and record.cancel_requested_at is not None and found.is_open:
            differences.append(
                _difference(
                    DifferenceKind.CANCEL_PENDING, "cancel at the venue", record, found, client_id
                )
            )
            if not dry_run:
                await broker.cancel_at_venue(record)
    for record in unsettled:
        if record.client_order_id in at_venue:
            continue
        if record.submit_state is SubmitState.NOT_SENT:
            differences.append(
                _difference(
                    DifferenceKind.NEVER_SENT,
                    "cancel locally",
                    record,
                    None,
                    record.client_order_id,
                )
            )
            if not dry_run:
                await broker.cancel(record.order_id)
        else:
            differences.append(
                _difference(
                    DifferenceKind.IN_DOUBT,
                    "resolve (ask; resend after the window)",
                    record,
                    None,
                    record.client_order_id,
                )
            )
            if not dry_run:
                await broker.resolve(record.order_id)
    for record in working:
        if record.submit_state is SubmitState.ACKED and record.client_order_id not in at_venue:
            if record.order.order_type is OrderType.MARKET and record.order.status.is_terminal:
                continue
            differences.append(
                _difference(
                    DifferenceKind.UNKNOWN_THERE,
                    "report only",
                    record,
                    None,
                    record.client_order_id,
                )
            )
    return ReconcileReport(account, venue, now, dry_run, tuple(differences))
