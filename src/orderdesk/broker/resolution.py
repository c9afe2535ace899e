"""In-doubt resolution: finding out whether a submit whose answer was lost was placed.

The venue is asked by client id, then for its open and recent closed orders; an order found
there is adopted (its ack, fills and end recorded). It is sent again only after the venue's
visibility window has passed with repeated "not found" answers, and only by the resolver
whose :meth:`~orderdesk.ledger.Ledger.claim_resend` wins; a refusal as a duplicate proves it
placed, and a cancel requested meanwhile wins over a resend. A timeout is never a rejection.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from functools import partial
from typing import Final

from orderdesk.broker.recording import (
    NOT_SENT_CODE,
    VENUE_END,
    Recorder,
    is_duplicate,
    request_of,
)
from orderdesk.broker.retry import Operation, Sleep
from orderdesk.broker.sessions import Session
from orderdesk.errors import VenueError
from orderdesk.ledger import Ledger
from orderdesk.model import Acked, Cancelled, Filled, OrderStatus, Rejected
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.model.venue import CancelOutcome, VenueOrder
from orderdesk.ports import Clock

__all__ = ["Resolver"]

_MAX_POLL: Final = 16.0


class _Resent(Enum):
    SETTLED = "settled"  # the venue answered: the order is acked or rejected
    PLACED = "placed"  # refused as a duplicate: the venue holds it, so never send it again
    IN_DOUBT = "in doubt"  # no answer: go on looking
    OBSERVED = "observed"  # another resolver won the claim: this one only looks


class Resolver:
    """Resolve in-doubt submits, look orders up at the venue and adopt what it shows."""

    def __init__(
        self,
        ledger: Ledger,
        recorder: Recorder,
        *,
        clock: Clock,
        sleep: Sleep,
        visibility_window: timedelta,
        poll_interval: timedelta,
        min_negative_answers: int,
        max_resends: int,
        submit_timeout: timedelta | None,
    ) -> None:
        self._ledger = ledger
        self._recorder = recorder
        self._clock = clock
        self._sleep = sleep
        self._window = visibility_window
        self._poll = poll_interval
        self._min_negatives = min_negative_answers
        self._max_resends = max_resends
        self._submit_timeout = submit_timeout
        self.resolutions: list[timedelta] = []
        """How long each in-doubt submit took to resolve, in the order they resolved."""

    def deadline(self) -> datetime | None:
        """When a call bounded by ``submit_timeout`` must return, from now."""
        bound = self._submit_timeout
        return None if bound is None else self._clock.now() + bound

    async def resolve_now(self, session: Session, order_id: str) -> OrderRecord:
        """Resolve a recorded order's submit now, if it is still unsettled."""
        record = self._ledger.get(session.account, order_id)
        if record.submit_state is SubmitState.ACKED or record.submit_state is SubmitState.NOT_SENT:
            return record
        return await self.resolve(
            session,
            order_id,
            record.sent_at or record.order.created_at,
            deadline=self.deadline(),
        )

    async def resolve(
        self,
        session: Session,
        order_id: str,
        sent_at: datetime,
        *,
        deadline: datetime | None,
        placed: bool = False,
    ) -> OrderRecord:
        """Find out whether an in-doubt submit was placed; resend only once sure it was not.

        Any number of resolvers may look (in tasks or processes); only the one whose
        :meth:`~orderdesk.ledger.Ledger.claim_resend` succeeds sends again, and only when the
        window has passed since the latest send by anyone. ``placed``: the venue already
        refused a send as a duplicate, so the order is there and is never sent again. A
        cancel requested meanwhile wins over a resend. Returns when settled, or by
        ``deadline``, with the order still IN_DOUBT (a later resolve or reconcile goes on
        from there).
        """
        account = session.account
        started = self._clock.now()
        negatives = resends = 0
        poll = self._poll.total_seconds()
        settled = False
        while True:
            record = self._ledger.get(account, order_id)
            if record.submit_state is SubmitState.ACKED or record.order.status.is_terminal:
                settled = True
                break  # a report, an earlier answer or another resolver settled it
            if deadline is not None and self._clock.now() >= deadline:
                break  # still in doubt, and said so: the caller is not held longer
            found = await self.look_up(session, record, sent_at, deadline)
            if isinstance(found, VenueOrder):
                record = await self.adopt_venue_order(session, record, found, sent_at)
                await self._cancel_if_requested(session, record)
                settled = True
                break
            if found is False:
                negatives += 1
            now = self._clock.now()
            if deadline is not None and now >= deadline:
                break
            last_sent = self._ledger.last_sent_at(account, order_id) or sent_at
            if not placed and negatives >= self._min_negatives and now >= last_sent + self._window:
                if resends >= self._max_resends:
                    break  # still in doubt: reconciliation picks it up
                outcome = await self._after_window(session, record, deadline)
                negatives = 0  # a send, ours or another resolver's, restarts the window
                if outcome is _Resent.SETTLED:
                    settled = True
                    break
                resends += outcome is not _Resent.OBSERVED
                placed = outcome is _Resent.PLACED
            await self._pause(poll, deadline)
            poll = min(poll * 2, _MAX_POLL)  # a venue that lags is not helped by asking more
        if settled:
            self.resolutions.append(self._clock.now() - started)
        return self._ledger.get(account, order_id)

    async def _after_window(
        self, session: Session, record: OrderRecord, deadline: datetime | None
    ) -> _Resent:
        """The window has passed with the order provably not placed: end it if its cancel
        was asked for, else send it again if this resolver wins the claim."""
        account, order_id = session.account, record.order_id
        if record.cancel_requested_at is not None:
            # Provably never placed, and the trader cancelled it: it ends here.
            self._ledger.set_submit_state(
                account, order_id, SubmitState.NOT_SENT, causation_id="cancel:unplaced"
            )
            event = Cancelled(at=self._clock.now(), code=NOT_SENT_CODE)
            self._recorder.apply(account, order_id, event, "cancel:unplaced")
            return _Resent.SETTLED
        claimed = self._ledger.claim_resend(
            account, order_id, expected_version=record.version, causation_id="resend"
        )
        if claimed is None:
            return _Resent.OBSERVED  # another resolver sent it, or the order moved on
        return await self._resend(session, claimed, deadline)

    async def _pause(self, poll: float, deadline: datetime | None) -> None:
        """Wait ``poll`` seconds, or less, so as not to pass ``deadline``."""
        wait = poll
        if deadline is not None:
            wait = min(wait, (deadline - self._clock.now()).total_seconds())
        if wait > 0:
            await self._sleep(wait)

    async def _resend(
        self, session: Session, record: OrderRecord, deadline: datetime | None
    ) -> _Resent:
        """Send a claimed order again; say whether that settled it, proved it placed, or
        left it in doubt."""
        account, order_id = session.account, record.order_id
        try:
            result = await session.retrier.call(
                Operation.SUBMIT,
                partial(session.connector.submit, request_of(record)),
                deadline=deadline,
            )
        except VenueError:
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT)
            return _Resent.IN_DOUBT
        if is_duplicate(result):
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT)
            return _Resent.PLACED
        settled = self._recorder.adopt_result(account, order_id, result)
        await self._cancel_if_requested(session, settled)
        return _Resent.SETTLED

    async def _cancel_if_requested(self, session: Session, record: OrderRecord) -> None:
        """Cancel at the venue an order that turned out to be working there after its
        cancel was asked for while it was in doubt."""
        if record.cancel_requested_at is None or record.order.status.is_terminal:
            return
        if record.submit_state is not SubmitState.ACKED:
            return
        await self.cancel_there(session, record)

    async def cancel_there(self, session: Session, record: OrderRecord) -> OrderRecord:
        """Send again the cancel asked for ``record`` that the venue has not carried out; a
        failure leaves it requested, for the next reconciliation to ask again."""
        connector, symbol = session.connector, record.order.symbol
        try:
            result = await session.retrier.call(
                Operation.CANCEL,
                lambda: connector.cancel(symbol, client_order_id=record.client_order_id),
            )
        except VenueError:
            return record  # the cancel stays requested; the next reconcile asks again
        if result.outcome is CancelOutcome.CANCELLED:
            event = Cancelled(at=result.at)
            return self._recorder.apply(session.account, record.order_id, event, "cancel:reply")
        return record

    async def status(self, session: Session, order_id: str) -> OrderRecord:
        """Refresh a recorded order from the venue and return it."""
        record = self._ledger.get(session.account, order_id)
        if record.submit_state is SubmitState.NOT_SENT:
            return record
        since = record.sent_at or record.order.created_at
        found = await self.look_up(session, record, since)
        if isinstance(found, VenueOrder):
            return await self.adopt_venue_order(session, record, found, since)
        return record

    async def look_up(
        self,
        session: Session,
        record: OrderRecord,
        since: datetime,
        deadline: datetime | None = None,
    ) -> VenueOrder | bool | None:
        """Return the venue's order, ``False`` for a clear "not there", ``None`` if unsure
        (a read failed, or ``deadline`` came before every read was made)."""
        connector, symbol, client_id = (
            session.connector,
            record.order.symbol,
            record.client_order_id,
        )
        call = partial(session.retrier.call, Operation.QUERY, deadline=deadline)
        clock = self._clock

        def late() -> bool:
            return deadline is not None and clock.now() >= deadline

        try:
            found = await call(lambda: connector.query(symbol, client_order_id=client_id))
            if found is not None:
                return found
            if late():
                return None
            listed = await call(lambda: connector.open_orders(symbol))
            if late():
                return None
            listed += await call(lambda: connector.closed_orders(symbol, since))
        except VenueError:
            return None
        for venue_order in listed:
            if venue_order.client_order_id == client_id:
                return venue_order
        return False

    async def adopt_venue_order(
        self, session: Session, record: OrderRecord, found: VenueOrder, since: datetime
    ) -> OrderRecord:
        """Record what the venue knows of the order: its ack, fills and end."""
        account, order_id, at = session.account, record.order_id, self._clock.now()
        apply = self._recorder.apply
        updated = apply(
            account, order_id, Acked(at=at, connector_order_id=found.venue_order_id), "lookup"
        )
        if found.filled_quantity > updated.filled_quantity:
            connector, symbol = session.connector, record.order.symbol
            try:
                fills = await session.retrier.call(
                    Operation.QUERY, lambda: connector.fills_since(symbol, since)
                )
            except VenueError:
                return updated  # acked; its fills and end come with the next look
            for venue_fill in fills:
                if venue_fill.venue_order_id == found.venue_order_id:
                    updated = apply(
                        account, order_id, Filled(venue_fill.to_fill(order_id)), "lookup"
                    )
        end = VENUE_END.get(found.status)
        if end is not None:
            updated = apply(account, order_id, end(at=found.updated_at), "lookup")
        elif found.status is OrderStatus.REJECTED:
            rejected = Rejected(at=found.updated_at, reason="rejected")
            updated = apply(account, order_id, rejected, "lookup")
        return updated
