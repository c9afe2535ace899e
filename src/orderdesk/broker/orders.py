"""The submit and cancel protocol, and an account's orders as recorded.

Submitting never loses or duplicates an order. The PENDING order, its client order id and a
journal entry are committed before anything leaves the process; the submit state moves to
SENT, then the request goes out under the retry policy. If the venue provably never took it
(refused connection, 429, ban, open breaker) the state returns to NOT_SENT and the order
ends REJECTED with code ``NOT_SENT``: it is certainly not at the venue. If the outcome is
unknown (timeout, 5xx, lost reply) the order goes IN_DOUBT and the
:class:`~orderdesk.broker.resolution.Resolver` settles it; a duplicate refusal is evidence
that the venue holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from orderdesk.broker.pretrade import check_order
from orderdesk.broker.recording import NOT_SENT_CODE, Publish, Recorder, is_duplicate, request_of
from orderdesk.broker.resolution import Resolver
from orderdesk.broker.retry import Operation
from orderdesk.broker.sessions import Session
from orderdesk.errors import (
    Banned,
    CircuitOpen,
    NotSent,
    PreTradeRejected,
    RateLimited,
    VenueError,
)
from orderdesk.ledger import Ledger
from orderdesk.model import Cancelled, ExecutionGroup, Fill, Order, OrderStatus, Rejected
from orderdesk.model.plans import group_of_order
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.model.status_filter import status_filter
from orderdesk.model.venue import CancelOutcome, RejectCode
from orderdesk.ports import Clock, MarketData, OrderQuery

__all__ = ["Orders", "default_group"]

_PROVEN_UNSENT = (NotSent, RateLimited, Banned, CircuitOpen)


def default_group(account: str, order: Order) -> ExecutionGroup:
    """The group an order names, as recorded with it when nobody recorded it before; made
    of the order's own validated fields, so not validated again (the Ledger checks the
    account as it records the order)."""
    return group_of_order(account, order, "unspecified")


class Orders:
    """Check, record and send orders; cancel them; read them back as recorded."""

    def __init__(
        self,
        ledger: Ledger,
        recorder: Recorder,
        resolver: Resolver,
        publish: Publish,
        *,
        clock: Clock,
        market_data: MarketData | None,
        check_balance: bool,
    ) -> None:
        self._ledger = ledger
        self._recorder = recorder
        self._resolver = resolver
        self._publish = publish
        self._clock = clock
        self._market_data = market_data
        self._check_balance = check_balance

    async def submit(self, session: Session, order: Order) -> OrderRecord:
        """Check, record and send ``order``; return its record once the venue's answer is
        known (or, past the submit bound, still IN_DOUBT)."""
        deadline = self._resolver.deadline()
        markets = await session.load_markets()
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
        # The intent and its SENT state commit together, before the request leaves.
        recorded, sent = self._ledger.record_sending(
            session.account,
            checked,
            venue=session.venue,
            client_order_id=session.codec.encode(checked.order_id),
            arrival_price=arrival,
            causation_id=f"submit:{checked.order_id}",
            group=default_group(session.account, checked),
        )
        self._publish(recorded, None)
        self._publish(sent, None)
        return await self._send(session, sent, deadline)

    async def _arrival_price(self, symbol: str) -> Decimal | None:
        if self._market_data is None:
            return None
        try:
            return await self._market_data.mid_price(symbol)
        except VenueError:  # a quote is worth having, not worth failing an order for
            return None

    async def _send(
        self, session: Session, record: OrderRecord, deadline: datetime | None
    ) -> OrderRecord:
        """Send ``record``, recorded SENT, and settle what the venue answers."""
        account, order_id = session.account, record.order_id
        request = request_of(record)
        sent_at = self._clock.now()
        try:
            result = await session.retrier.call(
                Operation.SUBMIT, lambda: session.connector.submit(request), deadline=deadline
            )
        except _PROVEN_UNSENT as error:
            moved = self._ledger.set_submit_state(
                account, order_id, SubmitState.NOT_SENT, held=record
            )
            if moved.submit_state is not SubmitState.NOT_SENT:
                return moved  # another task heard from the venue meanwhile: its word stands
            event = Rejected(at=self._clock.now(), reason=f"not sent: {error}", code=NOT_SENT_CODE)
            return self._recorder.apply(account, order_id, event, "submit:not-sent", moved)
        except VenueError:  # OutcomeUnknown, or a failure that proves nothing either way
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT, held=record)
            return await self._resolver.resolve(session, order_id, sent_at, deadline=deadline)
        if is_duplicate(result):
            # The venue already holds an order under this client id: evidence, not a "no".
            self._ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT, held=record)
            return await self._resolver.resolve(
                session, order_id, sent_at, deadline=deadline, placed=True
            )
        return self._recorder.adopt_result(account, order_id, result, record)

    async def cancel(self, session: Session, order_id: str) -> OrderRecord:
        """Ask the venue to cancel; return the order as it then stands (FILLED if it filled
        first). An order never sent is cancelled here, without asking the venue."""
        account = session.account
        record = self._ledger.get(account, order_id)
        if record.order.status.is_terminal:
            return record
        self._ledger.request_cancel(account, order_id, causation_id="cancel")
        if record.submit_state is SubmitState.NOT_SENT:
            return self._recorder.apply(
                account, order_id, Cancelled(at=self._clock.now()), "cancel:local"
            )
        connector, symbol = session.connector, record.order.symbol
        result = await session.retrier.call(
            Operation.CANCEL,
            lambda: connector.cancel(symbol, client_order_id=record.client_order_id),
        )
        if result.outcome is CancelOutcome.CANCELLED:
            return self._recorder.apply(account, order_id, Cancelled(at=result.at), "cancel:reply")
        return await self._resolver.status(session, order_id)

    def get(self, account: str, order_id: str) -> OrderRecord:
        """Return the account's order as recorded."""
        return self._ledger.get(account, order_id)

    def load(
        self,
        account: str,
        status: str | OrderStatus | None,
        statuses: Iterable[str | OrderStatus] | None,
        *,
        symbol: str | None,
        since: datetime | None,
        until: datetime | None,
        group_id: str | None,
    ) -> list[Order]:
        """Return the account's orders matching the filters, oldest first."""
        query = OrderQuery(
            statuses=status_filter(status, statuses),
            symbol=symbol,
            group_id=group_id,
            since=since,
            until=until,
        )
        return [record.order for record in self._ledger.load_all(account, query)]

    def fills(self, account: str, order_id: str) -> tuple[Fill, ...]:
        """Return the order's fills, oldest first."""
        return self._ledger.fills(account, order_id)
