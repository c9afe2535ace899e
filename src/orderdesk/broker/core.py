"""AsyncBroker: the Broker on the Ledger and any Connector, asyncio first.

Submitting never loses or duplicates an order. The PENDING order, its client order id and a
journal entry are committed before anything leaves the process; the submit state moves to
SENT, then the request goes out under the retry policy. If the venue provably never took it
(refused connection, 429, ban, open breaker) the state returns to NOT_SENT and the order
ends REJECTED with code ``NOT_SENT``: it is certainly not at the venue. If the outcome is
unknown (timeout, 5xx, lost reply) the order goes IN_DOUBT and is resolved by asking the
venue (by client id, then its open and recent closed orders and fills); it is sent again
only after the venue's visibility window has passed with repeated "not found" answers, and
never marked REJECTED for a timeout.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any, Final

from orderdesk.broker.pretrade import check_order
from orderdesk.broker.reconcile import ReconcileReport, reconcile
from orderdesk.broker.retry import Operation, Retrier, RetryPolicy, Sleep
from orderdesk.broker.settings import BrokerSettings, parse_settings
from orderdesk.errors import (
    Banned,
    CircuitOpen,
    IntegrityAlarm,
    LifecycleError,
    NotFound,
    NotSent,
    OrderdeskError,
    PreTradeRejected,
    RateLimited,
    VenueError,
)
from orderdesk.ledger import Journal, Ledger, Trace
from orderdesk.model import (
    Acked,
    Cancelled,
    ExecutionGroup,
    Expired,
    Fill,
    Filled,
    Order,
    OrderEvent,
    OrderStatus,
    Rejected,
    generate_group_id,
)
from orderdesk.model.client_ids import ClientIdCodec, codec_for
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.model.status_filter import status_filter
from orderdesk.model.venue import (
    CancelOutcome,
    ExecutionReport,
    Market,
    RejectCode,
    SubmitRequest,
    SubmitResult,
    VenueOrder,
    to_event,
)
from orderdesk.ports import Clock, Connector, MarketData, OrderQuery
from orderdesk.stats import Report, executions, parse_window
from orderdesk.stats import report as quality_report

__all__ = ["NOT_SENT_CODE", "AsyncBroker", "ConnectorFactory", "OrderUpdate"]

ConnectorFactory = Callable[[BrokerSettings], Connector]
"""Build the connector that acts for one account's settings (its credentials)."""

NOT_SENT_CODE: Final = "NOT_SENT"
"""The reject code of an order that provably never reached the venue."""

_MAX_POLL: Final = 16.0
_PROVEN_UNSENT = (NotSent, RateLimited, Banned, CircuitOpen)


class _Resent(Enum):
    SETTLED = "settled"  # the venue answered: the order is acked or rejected
    PLACED = "placed"  # refused as a duplicate: the venue holds it, so never send it again
    IN_DOUBT = "in doubt"  # no answer: go on looking
    OBSERVED = "observed"  # another resolver won the claim: this one only looks


def _is_duplicate(result: SubmitResult) -> bool:
    """A refusal because the venue already holds an order under this client id."""
    return not result.accepted and result.reject_code is RejectCode.DUPLICATE_CLIENT_ORDER_ID


_VENUE_END: Final[dict[OrderStatus, type[Cancelled] | type[Expired]]] = {
    OrderStatus.CANCELLED: Cancelled,
    OrderStatus.EXPIRED: Expired,
}


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """What subscribers hear after every change the broker records: the order as it now is,
    and the fill that changed it, if one did."""

    record: OrderRecord
    fill: Fill | None = None


@dataclass(slots=True)
class _Session:
    settings: BrokerSettings
    connector: Connector
    retrier: Retrier
    codec: ClientIdCodec
    markets: dict[str, Market] | None = None

    @property
    def account(self) -> str:
        return self.settings.account

    @property
    def venue(self) -> str:
        return self.connector.name


class AsyncBroker:
    """Submit, cancel, query and load orders for the current account, never losing one.

    ``connect`` builds a connector for an account's settings. ``sleep`` is how the broker
    waits (default: ``asyncio.sleep``); with a manual clock pass a sleep that advances it.
    """

    def __init__(
        self,
        ledger: Ledger,
        connect: ConnectorFactory,
        *,
        clock: Clock,
        market_data: MarketData | None = None,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        sleep: Sleep | None = None,
        visibility_window: timedelta = timedelta(seconds=120),
        poll_interval: timedelta = timedelta(seconds=1),
        min_negative_answers: int = 3,
        max_resends: int = 10,
        check_balance: bool = True,
        submit_timeout: timedelta | None = timedelta(seconds=30),
    ) -> None:
        self._ledger = ledger
        self._journal = Journal(ledger.store)
        self._connect = connect
        self._clock = clock
        self._market_data = market_data
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._sleep: Sleep = sleep or asyncio.sleep
        self._window = visibility_window
        self._poll = poll_interval
        self._min_negatives = min_negative_answers
        self._max_resends = max_resends
        self._submit_timeout = submit_timeout
        self._check_balance = check_balance
        self._session: _Session | None = None
        self._retriers: dict[str, Retrier] = {}
        self._subscribers: list[Callable[[OrderUpdate], None]] = []
        self.alarms: list[IntegrityAlarm] = []
        """Integrity alarms raised by venue reports (an overfill, a conflicting trade)."""
        self.resolutions: list[timedelta] = []
        """How long each in-doubt submit took to resolve, in the order they resolved."""

    # --- who is calling ------------------------------------------------------------------

    def settings(self, **params: Any) -> None:
        """Set who is calling: ``account`` and, where the venue needs them, credentials."""
        settings = parse_settings(params)
        connector = self._connect(settings)
        venue = connector.name
        retrier = self._retriers.get(venue)
        if retrier is None:  # one retrier (budget and breaker) per venue, across accounts
            retrier = Retrier(venue, self._clock, self._rng, self._policy, self._sleep)
            self._retriers[venue] = retrier
        self._session = _Session(settings, connector, retrier, codec_for(venue))

    @property
    def account(self) -> str:
        """The current account."""
        return self._require().account

    @property
    def ledger(self) -> Ledger:
        """The Ledger this broker records to."""
        return self._ledger

    @property
    def clock(self) -> Clock:
        """The broker's clock."""
        return self._clock

    def retrier(self, venue: str) -> Retrier:
        """Return the retrier (its counters, budget and breaker) of ``venue``."""
        return self._retriers[venue]

    def _require(self) -> _Session:
        if self._session is None:
            raise OrderdeskError("no account: call broker.settings(account=...) first")
        return self._session

    # --- subscriptions -------------------------------------------------------------------

    def subscribe(self, callback: Callable[[OrderUpdate], None]) -> Callable[[], None]:
        """Call ``callback`` after every recorded change; return the unsubscribe function."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    async def updates(self) -> AsyncIterator[OrderUpdate]:
        """Yield every recorded change from now on."""
        queue: asyncio.Queue[OrderUpdate] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    def _publish(self, record: OrderRecord, fill: Fill | None = None) -> None:
        update = OrderUpdate(record, fill)
        for callback in list(self._subscribers):
            callback(update)

    # --- submit --------------------------------------------------------------------------

    async def submit(self, order: Order) -> OrderRecord:
        """Check, record and send ``order``; return its record once the venue's answer is known.

        A breach of the venue's filters or the balance raises
        :class:`~orderdesk.errors.PreTradeRejected` and nothing is recorded or sent. A
        venue's rejection is an outcome: the returned order is REJECTED, with its reason
        in the journal.
        """
        session = self._require()
        deadline = self._deadline()
        markets = await self._markets(session)
        market = markets.get(order.symbol)
        if market is None:
            known = ", ".join(sorted(markets))
            raise PreTradeRejected(
                RejectCode.UNKNOWN_SYMBOL,
                f"{order.symbol} is not traded on {session.venue}; {known}",
            )
        arrival = await self._arrival_price(order.symbol)
        balances = None
        if self._check_balance:
            balances = await session.retrier.call(Operation.QUERY, session.connector.balances)
        checked = check_order(order, market, reference_price=arrival, balances=balances)
        record = self._ledger.record_order(
            session.account,
            checked,
            venue=session.venue,
            client_order_id=session.codec.encode(checked.order_id),
            arrival_price=arrival,
            causation_id=f"submit:{checked.order_id}",
            group=_default_group(session.account, checked),
        )
        self._publish(record)
        return await self._send(session, record, deadline)

    async def markets(self) -> dict[str, Market]:
        """Return the current venue's markets (loaded once per session)."""
        return await self._markets(self._require())

    async def _markets(self, session: _Session) -> dict[str, Market]:
        if session.markets is None:
            found = await session.retrier.call(Operation.QUERY, session.connector.markets)
            session.markets = dict(found)
        return session.markets

    async def _arrival_price(self, symbol: str) -> Decimal | None:
        if self._market_data is None:
            return None
        try:
            return await self._market_data.mid_price(symbol)
        except VenueError:  # a quote is worth having, not worth failing an order for
            return None

    def _deadline(self) -> datetime | None:
        """When a call bounded by ``submit_timeout`` must return, from now."""
        bound = self._submit_timeout
        return None if bound is None else self._clock.now() + bound

    async def _send(
        self, session: _Session, record: OrderRecord, deadline: datetime | None
    ) -> OrderRecord:
        account, order_id = session.account, record.order_id
        self._ledger.set_submit_state(account, order_id, SubmitState.SENT)
        request = _request(record)
        sent_at = self._clock.now()
        try:
            result = await session.retrier.call(
                Operation.SUBMIT, lambda: session.connector.submit(request), deadline=deadline
            )
        except _PROVEN_UNSENT as error:
            moved = self._ledger.set_submit_state(account, order_id, SubmitState.NOT_SENT)
            if moved.submit_state is not SubmitState.NOT_SENT:
                return moved  # another task heard from the venue meanwhile: its word stands
            return self._apply(
                session,
                order_id,
                Rejected(at=self._clock.now(), reason=f"not sent: {error}", code=NOT_SENT_CODE),
                cause="submit:not-sent",
            )
        except VenueError:  # OutcomeUnknown, or a failure that proves nothing either way
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT)
            return await self._resolve(session, order_id, sent_at, deadline=deadline)
        if _is_duplicate(result):
            # The venue already holds an order under this client id: evidence, not a "no".
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT)
            return await self._resolve(session, order_id, sent_at, deadline=deadline, placed=True)
        return self._adopt_result(session, order_id, result)

    def _adopt_result(self, session: _Session, order_id: str, result: SubmitResult) -> OrderRecord:
        at = result.at
        if not result.accepted:
            code = None if result.reject_code is None else result.reject_code.value
            return self._apply(
                session, order_id, Rejected(at=at, reason=result.reason, code=code), "submit:reply"
            )
        events: list[OrderEvent] = [Acked(at=at, connector_order_id=result.venue_order_id)]
        events += (Filled(venue_fill.to_fill(order_id)) for venue_fill in result.fills)
        end = _VENUE_END.get(result.status)
        if end is not None:
            events.append(end(at=at))
        return self._apply_all(session, order_id, events, "submit:reply")

    # --- in doubt ------------------------------------------------------------------------

    async def _resolve(
        self,
        session: _Session,
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
        ``deadline``, with the order still IN_DOUBT (a later :meth:`resolve` or
        :meth:`reconcile` goes on from there).
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
            found = await self._look_up(session, record, sent_at, deadline)
            if isinstance(found, VenueOrder):
                record = await self._adopt_venue_order(session, record, found, sent_at)
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
        self, session: _Session, record: OrderRecord, deadline: datetime | None
    ) -> _Resent:
        """The window has passed with the order provably not placed: end it if its cancel
        was asked for, else send it again if this resolver wins the claim."""
        account, order_id = session.account, record.order_id
        if record.cancel_requested_at is not None:
            # Provably never placed, and the trader cancelled it: it ends here.
            self._ledger.set_submit_state(
                account, order_id, SubmitState.NOT_SENT, causation_id="cancel:unplaced"
            )
            now = self._clock.now()
            self._apply(session, order_id, Cancelled(at=now, code=NOT_SENT_CODE), "cancel:unplaced")
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
        self, session: _Session, record: OrderRecord, deadline: datetime | None
    ) -> _Resent:
        """Send a claimed order again; say whether that settled it, proved it placed, or
        left it in doubt."""
        account, order_id = session.account, record.order_id
        try:
            result = await session.retrier.call(
                Operation.SUBMIT,
                partial(session.connector.submit, _request(record)),
                deadline=deadline,
            )
        except VenueError:
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT)
            return _Resent.IN_DOUBT
        if _is_duplicate(result):
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT)
            return _Resent.PLACED
        settled = self._adopt_result(session, order_id, result)
        await self._cancel_if_requested(session, settled)
        return _Resent.SETTLED

    async def _cancel_if_requested(self, session: _Session, record: OrderRecord) -> None:
        """Cancel at the venue an order that turned out to be working there after its
        cancel was asked for while it was in doubt."""
        if record.cancel_requested_at is None or record.order.status.is_terminal:
            return
        if record.submit_state is not SubmitState.ACKED:
            return
        await self._cancel_there(session, record)

    async def cancel_at_venue(self, record: OrderRecord) -> OrderRecord:
        """Send again the cancel asked for ``record`` that the venue has not carried out
        (reconciliation's ``cancel_pending``); a failure leaves it for the next pass."""
        return await self._cancel_there(self._require(), record)

    async def _cancel_there(self, session: _Session, record: OrderRecord) -> OrderRecord:
        connector, symbol = session.connector, record.order.symbol
        try:
            result = await session.retrier.call(
                Operation.CANCEL,
                lambda: connector.cancel(symbol, client_order_id=record.client_order_id),
            )
        except VenueError:
            return record  # the cancel stays requested; the next reconcile asks again
        if result.outcome is CancelOutcome.CANCELLED:
            return self._apply(session, record.order_id, Cancelled(at=result.at), "cancel:reply")
        return record

    async def _look_up(
        self,
        session: _Session,
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

    async def _adopt_venue_order(
        self, session: _Session, record: OrderRecord, found: VenueOrder, since: datetime
    ) -> OrderRecord:
        """Record what the venue knows of the order: its ack, fills and end."""
        order_id, at = record.order_id, self._clock.now()
        updated = self._apply(
            session, order_id, Acked(at=at, connector_order_id=found.venue_order_id), "lookup"
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
                    updated = self._apply(
                        session, order_id, Filled(venue_fill.to_fill(order_id)), "lookup"
                    )
        end = _VENUE_END.get(found.status)
        if end is not None:
            updated = self._apply(session, order_id, end(at=found.updated_at), "lookup")
        elif found.status is OrderStatus.REJECTED:
            updated = self._apply(
                session, order_id, Rejected(at=found.updated_at, reason="rejected"), "lookup"
            )
        return updated

    async def resolve(self, order_id: str) -> OrderRecord:
        """Resolve an in-doubt submit now (see the module docstring)."""
        session = self._require()
        record = self._ledger.get(session.account, order_id)
        if record.submit_state is SubmitState.ACKED or record.submit_state is SubmitState.NOT_SENT:
            return record
        return await self._resolve(
            session,
            order_id,
            record.sent_at or record.order.created_at,
            deadline=self._deadline(),
        )

    # --- reconciliation ------------------------------------------------------------------

    async def reconcile(self, *, dry_run: bool = False) -> ReconcileReport:
        """Compare the Ledger with the venue for the current account; fix it unless dry."""
        return await reconcile(self, dry_run=dry_run)

    def find_client_order(self, client_order_id: str) -> OrderRecord | None:
        """Return the current account's order sent under ``client_order_id``, if any."""
        session = self._require()
        try:
            return self._ledger.get_by_client_order_id(
                session.account, session.venue, client_order_id
            )
        except NotFound:
            return None

    async def catch_up(
        self, record: OrderRecord, found: VenueOrder, since: datetime
    ) -> OrderRecord:
        """Record what the venue did to ``record`` that the Ledger missed."""
        session = self._require()
        if record.submit_state is not SubmitState.ACKED:
            self._ledger.set_submit_state(
                session.account, record.order_id, SubmitState.SENT, causation_id="reconcile"
            )
        return await self._adopt_venue_order(session, record, found, since)

    def contradicted(self, record: OrderRecord, found: VenueOrder) -> OrderRecord:
        """Journal as an integrity alarm that the venue holds ``record``, recorded REJECTED,
        as ``found`` (the ledger changes nothing; :attr:`alarms` names it)."""
        session = self._require()
        event = Acked(at=self._clock.now(), connector_order_id=found.venue_order_id)
        return self._apply(session, record.order_id, event, "reconcile")

    async def adopt_unknown(self, found: VenueOrder, since: datetime) -> OrderRecord:
        """Record an order found only at the venue, in the current account, with its history."""
        session = self._require()
        order_id = session.codec.decode(found.client_order_id)
        group = ExecutionGroup(
            group_id=generate_group_id(found.created_at),
            account=session.account,
            strategy="reconciled",
            symbol=found.symbol,
            side=found.side,
            reason=f"found at {session.venue} by reconciliation",
            created_at=found.created_at,
        )
        self._ledger.record_group(group, causation_id="reconcile")
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
            session.account,
            Order.model_validate(fields),
            venue=session.venue,
            client_order_id=found.client_order_id,
            causation_id="reconcile",
        )
        self._ledger.set_submit_state(
            session.account, record.order_id, SubmitState.SENT, causation_id="reconcile"
        )
        return await self._adopt_venue_order(session, record, found, since)

    # --- reports -------------------------------------------------------------------------

    def on_report(self, report: ExecutionReport) -> OrderRecord | None:
        """Record one execution report of the current account; ``None`` if not one of ours."""
        session = self._require()
        try:
            record = self._ledger.get_by_client_order_id(
                session.account, session.venue, report.client_order_id
            )
        except NotFound:
            return None
        event = to_event(report, record.order_id)
        if self._ledger.is_duplicate(record, event):
            # A repeat (an ack of an acked order, a trade already recorded): it would change
            # nothing and publish nothing, so it costs this read instead of a transaction.
            return record
        return self._apply(session, record.order_id, event, f"report:{report.seq}")

    def on_reports(self, reports: Iterable[ExecutionReport]) -> int:
        """Record a batch of reports; return how many were ours."""
        return sum(self.on_report(report) is not None for report in reports)

    async def run_reports(self) -> None:
        """Record the current account's execution reports as they arrive, until cancelled."""
        session = self._require()
        async for report in session.connector.reports():
            self.on_report(report)

    def _apply_all(
        self, session: _Session, order_id: str, events: list[OrderEvent], cause: str
    ) -> OrderRecord:
        """Record what one reply said (an ack, its fills, its end) in one transaction."""
        if len(events) == 1:
            return self._apply(session, order_id, events[0], cause)
        try:
            outcomes = self._ledger.apply_all(session.account, order_id, events, causation_id=cause)
        except LifecycleError:
            # One of them is refused or alarming, and the transaction recorded none: apply
            # them one at a time, each settled on its own as it always was.
            record = self._apply(session, order_id, events[0], cause)
            for event in events[1:]:
                record = self._apply(session, order_id, event, cause)
            return record
        for applied in outcomes:
            if applied.transition.changed:
                self._publish(applied.record, applied.transition.fill)
        return outcomes[-1].record

    def _apply(
        self, session: _Session, order_id: str, event: OrderEvent, cause: str
    ) -> OrderRecord:
        try:
            applied = self._ledger.apply_and_get(
                session.account, order_id, event, causation_id=cause
            )
        except IntegrityAlarm as alarm:
            self.alarms.append(alarm)
            return self._ledger.get(session.account, order_id)
        except LifecycleError:
            # An event the table forbids here (a reject after a fill): the ledger changed
            # nothing and journaled nothing; the venue's later reports settle the order.
            return self._ledger.get(session.account, order_id)
        transition = applied.transition
        if transition.changed:
            self._publish(applied.record, transition.fill)
        return applied.record

    # --- cancel and status ---------------------------------------------------------------

    async def cancel(self, order_id: str) -> OrderRecord:
        """Ask the venue to cancel; return the order as it then stands.

        A cancel is safe to repeat and goes out even when the venue's breaker is open. If
        the order filled first, the result says so (its status is FILLED).
        """
        session = self._require()
        record = self._ledger.get(session.account, order_id)
        if record.order.status.is_terminal:
            return record
        self._ledger.request_cancel(session.account, order_id, causation_id="cancel")
        if record.submit_state is SubmitState.NOT_SENT:
            return self._apply(session, order_id, Cancelled(at=self._clock.now()), "cancel:local")
        connector, symbol = session.connector, record.order.symbol
        result = await session.retrier.call(
            Operation.CANCEL,
            lambda: connector.cancel(symbol, client_order_id=record.client_order_id),
        )
        if result.outcome is CancelOutcome.CANCELLED:
            return self._apply(session, order_id, Cancelled(at=result.at), "cancel:reply")
        return await self.status(order_id)

    async def status(self, order_id: str) -> OrderRecord:
        """Refresh the order from the venue and return it."""
        session = self._require()
        record = self._ledger.get(session.account, order_id)
        if record.submit_state is SubmitState.NOT_SENT:
            return record
        since = record.sent_at or record.order.created_at
        found = await self._look_up(session, record, since)
        if isinstance(found, VenueOrder):
            return await self._adopt_venue_order(session, record, found, since)
        return record

    # --- reads ---------------------------------------------------------------------------

    async def load(
        self,
        status: str | OrderStatus | None = None,
        *,
        statuses: Iterable[str | OrderStatus] | None = None,
        symbol: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        group_id: str | None = None,
    ) -> list[Order]:
        """Return the current account's orders, oldest first.

        ``status`` is a status or a group: ``"OPEN"`` is OPEN and PARTIALLY_FILLED,
        ``"CLOSED"`` is FILLED, CANCELLED, REJECTED and EXPIRED; ``statuses`` is an exact
        set. See :mod:`orderdesk.model.status_filter`.
        """
        session = self._require()
        query = OrderQuery(
            statuses=status_filter(status, statuses),
            symbol=symbol,
            group_id=group_id,
            since=since,
            until=until,
        )
        return [record.order for record in self._ledger.load_all(session.account, query)]

    async def get(self, order_id: str) -> OrderRecord:
        """Return the current account's order as recorded (no venue call)."""
        return self._ledger.get(self._require().account, order_id)

    async def fills(self, order_id: str) -> tuple[Fill, ...]:
        """Return the order's fills, oldest first."""
        return self._ledger.fills(self._require().account, order_id)

    async def stats(
        self,
        window: str | timedelta | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        group_by: Iterable[str] = (),
    ) -> Report:
        """Return execution quality of the current account's orders over a window.

        ``window`` is the last ``"90s"``, ``"15m"``, ``"1h"`` or ``"7d"`` (or a timedelta)
        up to now; or give ``start`` and/or ``end``. ``group_by`` takes any of symbol, side,
        order_type, account, venue.
        """
        session = self._require()
        if window is not None:
            if start is not None or end is not None:
                raise ValueError("give window= or start=/end=, not both")
            span = parse_window(window) if isinstance(window, str) else window
            end = self._clock.now()
            start = end - span
        # The window selects orders by creation; the report's figures run from their send.
        found = executions(self._ledger, session.account, start=start, end=end)
        return replace(quality_report(found, group_by=tuple(group_by)), start=start, end=end)

    async def trace(self, order_id: str) -> Trace:
        """Return the order's causality chain: plan, group, order, every event and fill."""
        return self._journal.trace(self._require().account, order_id)


def _default_group(account: str, order: Order) -> ExecutionGroup:
    """The group an order names, as recorded with it when nobody recorded it before."""
    return ExecutionGroup(
        group_id=order.parent_group_id,
        account=account,
        strategy="unspecified",
        symbol=order.symbol,
        side=order.side,
        created_at=order.created_at,
    )


def _request(record: OrderRecord) -> SubmitRequest:
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
