"""Reconciliation carried out: read the Ledger and the venue, plan, then act.

The comparison is :func:`orderdesk.broker.reconcile.plan`; this module does its I/O. It
reads the account's working orders, the venue's open orders and its closed orders since
the oldest of them (a day back at least), and the records of the client ids the venue
shows that no working order has. Each action is listed in the report with the Ledger's side
as it stands when the action is carried out (a ``cancel_pending`` after a ``behind`` of the
same order shows it caught up); a dry run only lists them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from orderdesk.broker.orders import Orders
from orderdesk.broker.reconcile import (
    WORKING,
    Action,
    Difference,
    DifferenceKind,
    ReconcileReport,
    lookback_start,
    plan,
)
from orderdesk.broker.recording import Recorder
from orderdesk.broker.resolution import Resolver
from orderdesk.broker.retry import Operation
from orderdesk.broker.sessions import Session
from orderdesk.errors import NotFound
from orderdesk.ledger import Ledger
from orderdesk.model import Acked, ExecutionGroup, Order, generate_group_id
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.model.venue import VenueOrder
from orderdesk.ports import Clock, OrderQuery

__all__ = ["Reconciler"]

_CAUSE = "reconcile"


class Reconciler:
    """Reconcile the current account's Ledger with its venue, and settle what differs."""

    def __init__(
        self,
        ledger: Ledger,
        recorder: Recorder,
        resolver: Resolver,
        orders: Orders,
        *,
        clock: Clock,
    ) -> None:
        self._ledger = ledger
        self._recorder = recorder
        self._resolver = resolver
        self._orders = orders
        self._clock = clock

    async def reconcile(
        self, session: Session, *, dry_run: bool, lookback: timedelta = timedelta(days=1)
    ) -> ReconcileReport:
        """Compare the session's Ledger with its venue; unless ``dry_run``, fix it."""
        account, now = session.account, self._clock.now()
        working = list(self._ledger.load_all(account, OrderQuery(statuses=WORKING)))
        since = lookback_start(working, now, lookback)
        at_venue = await self._venue_orders(session, working, since)
        ids = {record.client_order_id for record in working}
        recorded: dict[str, OrderRecord] = {}
        for client_id in at_venue:
            if client_id not in ids and (record := self._find(session, client_id)) is not None:
                recorded[client_id] = record
        differences: list[Difference] = []
        moved: dict[str, OrderRecord] = {}  # the records an earlier action caught up
        for action in plan(working, recorded, at_venue):
            record = action.record
            if record is not None:
                record = moved.get(record.order_id, record)
            differences.append(action.difference(record))
            if dry_run:
                continue
            caught_up = await self._carry_out(session, action, record, since)
            if caught_up is not None:
                moved[caught_up.order_id] = caught_up
        return ReconcileReport(account, session.venue, now, dry_run, tuple(differences))

    async def _venue_orders(
        self, session: Session, working: list[OrderRecord], since: datetime
    ) -> dict[str, VenueOrder]:
        """The venue's open orders, then its closed orders since ``since`` in every symbol
        the account works or the venue lists, by client order id (an open one first)."""
        connector, call = session.connector, session.retrier.call
        markets = await session.load_markets()
        symbols = sorted({record.order.symbol for record in working} | set(markets.keys()))
        at_venue: dict[str, VenueOrder] = {}
        for found in await call(Operation.QUERY, lambda: connector.open_orders(None)):
            at_venue[found.client_order_id] = found
        for symbol in symbols:
            closed = await call(Operation.QUERY, partial(connector.closed_orders, symbol, since))
            for found in closed:
                at_venue.setdefault(found.client_order_id, found)
        return at_venue

    def _find(self, session: Session, client_order_id: str) -> OrderRecord | None:
        try:
            return self._ledger.get_by_client_order_id(
                session.account, session.venue, client_order_id
            )
        except NotFound:
            return None

    async def _carry_out(
        self, session: Session, action: Action, record: OrderRecord | None, since: datetime
    ) -> OrderRecord | None:
        """Settle one difference; return the record when later actions should see it moved."""
        kind, found = action.kind, action.found
        if kind is DifferenceKind.MISSING_HERE:
            assert found is not None
            if self._find(session, action.client_order_id) is None:  # nobody adopted it since
                await self._adopt_unknown(session, found, since)
            return None
        if kind is DifferenceKind.UNKNOWN_THERE:
            return None  # reported, never guessed at
        assert record is not None
        if kind is DifferenceKind.CONTRADICTED:
            # Recorded REJECTED, shown placed: the ledger journals the alarm, changes nothing.
            assert found is not None
            event = Acked(at=self._clock.now(), connector_order_id=found.venue_order_id)
            self._recorder.apply(session.account, record.order_id, event, _CAUSE)
        elif kind is DifferenceKind.BEHIND:
            assert found is not None
            return await self._catch_up(session, record, found, since)
        elif kind is DifferenceKind.CANCEL_PENDING:
            await self._resolver.cancel_there(session, record)
        elif kind is DifferenceKind.NEVER_SENT:
            await self._orders.cancel(session, record.order_id)
        else:  # IN_DOUBT
            await self._resolver.resolve_now(session, record.order_id)
        return None

    async def _catch_up(
        self, session: Session, record: OrderRecord, found: VenueOrder, since: datetime
    ) -> OrderRecord:
        """Record what the venue did to ``record`` that the Ledger missed."""
        if record.submit_state is not SubmitState.ACKED:
            self._ledger.set_submit_state(
                session.account, record.order_id, SubmitState.SENT, causation_id=_CAUSE
            )
        return await self._resolver.adopt_venue_order(session, record, found, since)

    async def _adopt_unknown(
        self, session: Session, found: VenueOrder, since: datetime
    ) -> OrderRecord:
        """Record an order found only at the venue, in the session's account, with its
        history."""
        account = session.account
        order_id = session.codec.decode(found.client_order_id)
        group = ExecutionGroup(
            group_id=generate_group_id(found.created_at),
            account=account,
            strategy="reconciled",
            symbol=found.symbol,
            side=found.side,
            reason=f"found at {session.venue} by reconciliation",
            created_at=found.created_at,
        )
        self._ledger.record_group(group, causation_id=_CAUSE)
        fields: dict[str, Any] = {
            "parent_group_id": group.group_id,
            "symbol": found.symbol,
            "side": found.side,
            "order_type": found.order_type,
            "quantity": found.quantity,
            "price": found.price,
            "stop_price": found.stop_price,
            "time_in_force": found.time_in_force,
            "expire_at": found.expire_at,
            "created_at": found.created_at,
            "updated_at": found.created_at,
        }
        if order_id is not None:
            fields["order_id"] = order_id
        record = self._ledger.record_order(
            account,
            Order.model_validate(fields),
            venue=session.venue,
            client_order_id=found.client_order_id,
            causation_id=_CAUSE,
        )
        self._ledger.set_submit_state(
            account, record.order_id, SubmitState.SENT, causation_id=_CAUSE
        )
        return await self._resolver.adopt_venue_order(session, record, found, since)
