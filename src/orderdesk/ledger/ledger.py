"""The Ledger: the only writer of orders and fills, and the single source of their truth.

Every change is one store transaction that reads the order, decides through the lifecycle
table, writes the order row (checked against its ``version``), the fill row and a journal
entry, and commits (:meth:`Ledger.apply_all` decides and writes several events of one
order so, in one transaction). A transaction that loses a race to another writer is retried
whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

from orderdesk.errors import (
    ConcurrentUpdate,
    ContradictedRejection,
    IntegrityAlarm,
    InvalidTransition,
    LifecycleError,
    NotFound,
)
from orderdesk.ledger import bookkeeping, entries
from orderdesk.model.decimals import decimal_text, parse_positive
from orderdesk.model.enums import OrderStatus
from orderdesk.model.events import Acked, Filled, OrderEvent
from orderdesk.model.execution_rows import ExecutionRow, check_keys, execution_row
from orderdesk.model.execution_totals import ExecutionTotals, submitted_within, totals_of_rows
from orderdesk.model.fill import Fill
from orderdesk.model.lifecycle import Transition
from orderdesk.model.order import Order
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import JournalKind, NewEntry, OrderRecord, SubmitState
from orderdesk.ports import (
    Batching,
    Clock,
    ExecutionRows,
    ExecutionTotalsPort,
    OrderPage,
    OrderQuery,
    Store,
    StoreTransaction,
)

__all__ = ["Applied", "Ledger"]

T = TypeVar("T")
_ALL: Final = OrderQuery()
_GROUPS_REMEMBERED: Final = 10_000
_RESENDABLE: Final = frozenset({SubmitState.SENT, SubmitState.IN_DOUBT})


def _note(
    tx: StoreTransaction,
    kind: JournalKind,
    record: OrderRecord,
    payload: dict[str, Any],
    *,
    at: datetime,
    causation_id: str | None,
    correlation_id: str | None,
) -> None:
    """Journal an order's entry, linked to its group and plan."""
    tx.append(
        NewEntry.of_order(
            kind, record, payload, at=at, causation_id=causation_id, correlation_id=correlation_id
        )
    )


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one event did: its decided transition and the order as it now stands."""

    transition: Transition
    record: OrderRecord


class Ledger:
    """Record orders and apply what venues report, durably, in one transaction per change.

    ``retries`` counts transactions re-run after losing a race to another writer.
    """

    def __init__(self, store: Store, clock: Clock, *, max_attempts: int = 100) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._store = store
        self._clock = clock
        self._max_attempts = max_attempts
        self.retries = 0
        # Groups are immutable once recorded, so (account, group id) -> plan id never goes
        # stale; remembering recent ones saves a read per order recorded into them.
        self._group_plans: dict[tuple[str, str], str | None] = {}

    @property
    def store(self) -> Store:
        """The store this ledger writes to."""
        return self._store

    def _atomically(self, work: Callable[[StoreTransaction], T]) -> T:
        for attempt in range(1, self._max_attempts + 1):
            try:
                with self._store.transaction() as tx:
                    return work(tx)
            except ConcurrentUpdate:
                # The other writer has committed: re-reading now sees its change, so an
                # immediate retry cannot lose an update and needs no back-off.
                if attempt == self._max_attempts:
                    raise
                self.retries += 1
        raise AssertionError("unreachable")  # pragma: no cover

    def _on_order(
        self,
        account: str,
        order_id: str,
        held: OrderRecord | None,
        work: Callable[[StoreTransaction, OrderRecord, bool], T],
    ) -> T:
        """Run ``work`` in a transaction on the order as the caller ``held`` it, read again
        only if it is stale: every write is checked against the held version, and a
        decision that writes no order change first confirms that version
        (:meth:`_confirm`). ``work`` is told whether its record was read in its own
        transaction (``fresh``); without ``held`` it always is."""
        if held is not None and (held.order.order_id != order_id or held.account != account):
            raise ValueError(f"held record is {held.order_id} of {held.account}, not {order_id}")
        record = held
        for attempt in range(1, self._max_attempts + 1):
            try:
                with self._store.transaction() as tx:
                    if record is None:
                        return work(tx, self._for_update(tx, account, order_id), True)
                    return work(tx, record, False)
            except ConcurrentUpdate:
                if record is None:  # lost a race in a transaction that read: as _atomically
                    if attempt == self._max_attempts:
                        raise
                    self.retries += 1
                record = None  # the held record was stale: read it from now on
            except LifecycleError:
                if record is None:
                    raise
                record = None  # refused on the held record: decide once more on the stored one
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _confirm(tx: StoreTransaction, record: OrderRecord, fresh: bool) -> None:
        """Check that a held ``record`` is still the stored one before a decision that
        writes no order change rests on it (a write is checked by its version anyway)."""
        if fresh:
            return
        current = tx.get_order(record.account, record.order_id)
        if current is None or current.version != record.version:
            raise ConcurrentUpdate(f"order {record.order_id} changed since version read")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Commit every change made in the block at once, when it ends, where the store
        can (the Batching port; elsewhere each change commits as usual).

        Only for a replay against an in-process venue, whose own state a crash loses too:
        a crash inside the block loses the block's changes and nothing before them, and an
        order is never half recorded. Never around a call to a real venue, where an intent
        must be durable before its request leaves."""
        store = self._store
        if not isinstance(store, Batching):
            yield
            return
        try:
            with store.batch():
                yield
        except BaseException:
            self._group_plans.clear()  # groups remembered in the block were rolled back
            raise

    # --- writes -------------------------------------------------------------------------

    def record_plan(
        self, plan: TradePlan, *, causation_id: str | None = None, correlation_id: str | None = None
    ) -> TradePlan:
        """Record a trade plan, the root of its orders' causality chain."""

        def work(tx: StoreTransaction) -> TradePlan:
            tx.insert_plan(plan)
            tx.append(
                NewEntry(
                    self._clock.now(),
                    JournalKind.PLAN_RECORDED,
                    plan.account,
                    None,
                    None,
                    plan.plan_id,
                    causation_id,
                    correlation_id,
                    entries.encode_plan(plan),
                )
            )
            return plan

        return self._atomically(work)

    def record_group(
        self,
        group: ExecutionGroup,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> ExecutionGroup:
        """Record an execution group; its plan, if named, must be recorded in its account."""

        def work(tx: StoreTransaction) -> ExecutionGroup:
            self._insert_group(tx, group, causation_id, correlation_id)
            return group.model_copy(update={"order_ids": ()})

        return self._atomically(work)

    def _insert_group(
        self,
        tx: StoreTransaction,
        group: ExecutionGroup,
        causation_id: str | None,
        correlation_id: str | None,
    ) -> None:
        if group.plan_id is not None and tx.get_plan(group.account, group.plan_id) is None:
            raise NotFound(f"plan {group.plan_id} in account {group.account}")
        tx.insert_group(group)
        tx.append(
            NewEntry(
                self._clock.now(),
                JournalKind.GROUP_RECORDED,
                group.account,
                None,
                group.group_id,
                group.plan_id,
                causation_id,
                correlation_id,
                entries.encode_group(group),
            )
        )

    def record_order(
        self,
        account: str,
        order: Order,
        *,
        venue: str,
        client_order_id: str,
        arrival_price: Decimal | str | None = None,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        group: ExecutionGroup | None = None,
    ) -> OrderRecord:
        """Record a PENDING order's intent before anything is sent: a crash after this
        leaves a record to reconcile, never an order the ledger does not know.

        Its group must be recorded in ``account``, or be given as ``group``: then it is
        recorded first, in the same transaction, if it is not recorded yet. The client
        order id is unique per account and venue (:class:`~orderdesk.errors.IntegrityError`
        otherwise).
        """
        recorded, _ = self._record(
            account, order, venue, client_order_id, arrival_price, causation_id,
            correlation_id, group, send=False,
        )  # fmt: skip
        return recorded

    def record_sending(
        self,
        account: str,
        order: Order,
        *,
        venue: str,
        client_order_id: str,
        arrival_price: Decimal | str | None = None,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        group: ExecutionGroup | None = None,
    ) -> tuple[OrderRecord, OrderRecord]:
        """Record the intent as :meth:`record_order` does and move it to SENT, in one
        transaction, for a caller about to send it: the intent is durable before the
        request leaves, at one commit. Journals both entries (``order_recorded``, then
        ``submit_state`` SENT); returns the order as each left it. A crash after the commit
        leaves it SENT, which in-doubt resolution asks the venue about."""
        recorded, sent = self._record(
            account, order, venue, client_order_id, arrival_price, causation_id,
            correlation_id, group, send=True,
        )  # fmt: skip
        assert sent is not None
        return recorded, sent

    def _record(  # noqa: PLR0917
        self,
        account: str,
        order: Order,
        venue: str,
        client_order_id: str,
        arrival_price: Decimal | str | None,
        causation_id: str | None,
        correlation_id: str | None,
        group: ExecutionGroup | None,
        *,
        send: bool,
    ) -> tuple[OrderRecord, OrderRecord | None]:
        arrival = None if arrival_price is None else parse_positive(arrival_price)
        if group is not None and (
            group.group_id != order.parent_group_id or group.account != account
        ):
            raise ValueError("group must be the order's parent group, in its account")

        inserted: list[ExecutionGroup] = []  # the group this transaction recorded, if any

        def work(tx: StoreTransaction) -> tuple[OrderRecord, OrderRecord | None]:
            inserted.clear()  # a retried transaction starts afresh
            if group is not None and not self._group_recorded(tx, account, group.group_id):
                self._insert_group(tx, group, causation_id, correlation_id)
                inserted.append(group)
                plan_id = group.plan_id
            else:
                plan_id = self._plan_of_group(tx, account, order.parent_group_id)
            record = bookkeeping.new_record(
                account,
                order,
                venue=venue,
                client_order_id=client_order_id,
                plan_id=plan_id,
                arrival_price=arrival,
            )
            tx.insert_order(record)
            now = self._clock.now()
            _note(
                tx,
                JournalKind.ORDER_RECORDED,
                record,
                entries.encode_order(record),
                at=now,
                causation_id=causation_id,
                correlation_id=correlation_id,
            )
            if not send:
                return record, None
            sent = bookkeeping.after_submit_state(record, SubmitState.SENT, now)
            assert sent is not None  # a new record is NOT_SENT
            tx.update_order(sent, record.version)
            _note(
                tx,
                JournalKind.SUBMIT_STATE,
                record,
                entries.encode_submit_state(SubmitState.SENT, now),
                at=now,
                causation_id=causation_id,
                correlation_id=correlation_id,
            )
            return record, sent

        outcome = self._atomically(work)
        for recorded in inserted:  # remembered only once committed
            self._remember_group(account, recorded.group_id, recorded.plan_id)
        return outcome

    def apply(
        self,
        account: str,
        order_id: str,
        event: OrderEvent,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        held: OrderRecord | None = None,
    ) -> Transition:
        """Apply a venue's report through the lifecycle table and record it.

        A duplicate (same trade id, a repeated ack) is journaled and changes nothing. An
        illegal event raises :class:`~orderdesk.errors.LifecycleError` and records nothing.
        ``held``: the order as the caller holds it (every write method takes it); the
        ledger writes against its version and reads the order only if that is stale.
        """
        return self.apply_and_get(
            account, order_id, event, causation_id=causation_id,
            correlation_id=correlation_id, held=held,
        ).transition  # fmt: skip

    def apply_and_get(
        self,
        account: str,
        order_id: str,
        event: OrderEvent,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        held: OrderRecord | None = None,
    ) -> Applied:
        """Do what :meth:`apply` does and also return the order as :meth:`get` would then
        return it, from the same transaction (no second read).

        An :class:`~orderdesk.errors.IntegrityAlarm` (an overfill, a trade id reported with
        other figures, an ack naming another venue order) changes nothing but is never
        silent: it is journaled as an ``alarm`` entry of the order, then raised.
        """

        def work(tx: StoreTransaction, record: OrderRecord, fresh: bool) -> Applied:
            return self._apply_in(
                tx, record, fresh, event, causation_id, correlation_id=correlation_id
            )

        try:
            return self._on_order(account, order_id, held, work)
        except IntegrityAlarm as alarm:
            self._record_alarm(
                account, order_id, event, alarm, causation_id=causation_id,
                correlation_id=correlation_id,
            )  # fmt: skip
            raise
        except InvalidTransition as refused:
            contradiction = self._contradiction(account, order_id, event)
            if contradiction is None:
                raise
            self._record_alarm(
                account, order_id, event, contradiction, causation_id=causation_id,
                correlation_id=correlation_id,
            )  # fmt: skip
            raise contradiction from refused

    def _contradiction(
        self, account: str, order_id: str, event: OrderEvent
    ) -> ContradictedRejection | None:
        """The alarm for venue evidence (an ack, a fill) about an order recorded REJECTED."""
        record = self._store.get_order(account, order_id)
        if record is None or record.order.status is not OrderStatus.REJECTED:
            return None
        if isinstance(event, Acked):
            venue_id = event.connector_order_id
            return ContradictedRejection(order_id, f"it as venue order {venue_id!r}")
        if isinstance(event, Filled):
            fill = event.fill
            return ContradictedRejection(
                order_id,
                f"trade {fill.trade_id!r}: {decimal_text(fill.quantity)} @ "
                f"{decimal_text(fill.price)}",
            )
        return None

    def _record_alarm(
        self,
        account: str,
        order_id: str,
        event: OrderEvent,
        alarm: IntegrityAlarm,
        *,
        causation_id: str | None,
        correlation_id: str | None,
    ) -> None:
        def work(tx: StoreTransaction) -> None:
            record = self._for_update(tx, account, order_id)
            _note(
                tx,
                JournalKind.ALARM,
                record,
                entries.encode_alarm(event, alarm),
                at=self._clock.now(),
                causation_id=causation_id,
                correlation_id=correlation_id,
            )

        self._atomically(work)

    def apply_all(
        self,
        account: str,
        order_id: str,
        events: Sequence[OrderEvent],
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        held: OrderRecord | None = None,
    ) -> tuple[Applied, ...]:
        """Apply several events of one order, in order, in one transaction: each is decided
        on the order as the ones before it left it and journaled as :meth:`apply` would.

        All or nothing: if the table forbids one or it raises an alarm, the error is raised
        and nothing is recorded. Returns each event's outcome; the last record is the
        order as :meth:`get` then returns it.
        """

        def work(tx: StoreTransaction, record: OrderRecord, fresh: bool) -> tuple[Applied, ...]:
            outcomes: list[Applied] = []
            for event in events:
                # Within the transaction the order is what the previous event left.
                applied = self._apply_in(
                    tx, record, fresh, event, causation_id, correlation_id=correlation_id
                )
                outcomes.append(applied)
                fresh = fresh or applied.record is not record  # a write checked its version
                record = applied.record
            return tuple(outcomes)

        return self._on_order(account, order_id, held, work)

    def _apply_in(
        self,
        tx: StoreTransaction,
        record: OrderRecord,
        fresh: bool,
        event: OrderEvent,
        causation_id: str | None,
        *,
        correlation_id: str | None,
    ) -> Applied:
        """Decide ``event`` on ``record`` (read in ``tx`` if ``fresh``, else held) and write
        what it changes."""
        known = None
        if isinstance(event, Filled):
            fill = event.fill
            order = record.order
            known = tx.fill_by_trade(
                record.account, record.venue, order.symbol, order.side, fill.trade_id
            )
        transition = bookkeeping.decide_event(record, known, event)
        updated = bookkeeping.after_event(record, transition, event.at)
        if updated is not None:
            tx.update_order(updated, record.version)
        else:
            self._confirm(tx, record, fresh)
        if transition.fill is not None:
            order = record.order
            tx.insert_fill(record.account, record.venue, order.symbol, order.side, transition.fill)
        _note(
            tx,
            entries.EVENT_KINDS[type(event)],
            record,
            entries.encode_event(event, transition),
            at=self._clock.now(),
            causation_id=causation_id,
            correlation_id=correlation_id,
        )
        return Applied(transition, record if updated is None else updated)

    def is_duplicate(self, record: OrderRecord, event: OrderEvent) -> bool:
        """Return whether ``event`` repeats what ``record`` (as read) already holds, so that
        applying it would change nothing, now or later: an ack of an order already acked
        under the venue order id it names, or a fill whose trade is already recorded on
        this order with the same quantity and price. Reads, never writes.

        Both facts are permanent once true (the submit state never leaves ACKED, the venue
        order id is set once, fills are never removed), so a record read before another
        writer's change still answers correctly. Anything else, and anything the table
        forbids or alarms on, is not a duplicate: :meth:`apply` decides it.
        """
        known = None
        if isinstance(event, Filled):
            fill = event.fill
            order = record.order
            known = self._store.fill_by_trade(
                record.account, record.venue, order.symbol, order.side, fill.trade_id
            )
            if known is None:
                return False
        elif not isinstance(event, Acked):
            return False
        try:
            transition = bookkeeping.decide_event(record, known, event)
        except LifecycleError:
            return False
        return (
            transition.duplicate and bookkeeping.after_event(record, transition, event.at) is None
        )

    def set_submit_state(
        self,
        account: str,
        order_id: str,
        state: SubmitState,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        held: OrderRecord | None = None,
    ) -> OrderRecord:
        """Move the order's submit state (NOT_SENT, SENT, IN_DOUBT, ACKED); idempotent.

        A move the state has already gone past (anything once ACKED, IN_DOUBT once NOT_SENT)
        is stale news from a slower task: it changes nothing, and the order is returned as
        it stands, for the caller to compare with the state it asked for.
        """

        def work(tx: StoreTransaction, record: OrderRecord, fresh: bool) -> OrderRecord:
            now = self._clock.now()
            updated = None
            if state in bookkeeping.SUBMIT_MOVES[record.submit_state]:
                updated = bookkeeping.after_submit_state(record, state, now)
            if updated is None:
                self._confirm(tx, record, fresh)
                return record
            tx.update_order(updated, record.version)
            _note(
                tx,
                JournalKind.SUBMIT_STATE,
                record,
                entries.encode_submit_state(state, now),
                at=now,
                causation_id=causation_id,
                correlation_id=correlation_id,
            )
            return updated

        return self._on_order(account, order_id, held, work)

    def claim_resend(
        self,
        account: str,
        order_id: str,
        *,
        expected_version: int,
        causation_id: str | None = None,
    ) -> OrderRecord | None:
        """Claim the right to send an in-doubt order again; return it SENT, or ``None``.

        A compare-and-set on the order's version: the claim holds only if nothing changed
        the order since the caller read it at ``expected_version`` (another resolver's
        claim, an answer, a report), the order still has no venue answer (SENT or
        IN_DOUBT, not finished) and no cancel was requested. One resolver at a time, in
        any task or process, wins; the others get ``None`` and only observe. The claim is
        journaled as a ``submit_state`` SENT entry, which :meth:`last_sent_at` reads.
        """

        def work(tx: StoreTransaction, record: OrderRecord, fresh: bool) -> OrderRecord | None:
            if (
                record.version != expected_version
                or record.submit_state not in _RESENDABLE
                or record.order.status.is_terminal
                or record.cancel_requested_at is not None
            ):
                self._confirm(tx, record, fresh)
                return None
            now = self._clock.now()
            updated = bookkeeping.after_resend_claim(record)
            tx.update_order(updated, record.version)
            _note(
                tx,
                JournalKind.SUBMIT_STATE,
                record,
                entries.encode_submit_state(SubmitState.SENT, now),
                at=now,
                causation_id=causation_id,
                correlation_id=None,
            )
            return updated

        return self._on_order(account, order_id, None, work)

    def last_sent_at(self, account: str, order_id: str) -> datetime | None:
        """Return when the order was last sent (its first send, or the latest resend claim),
        from its journal; ``None`` if it never was."""
        latest = None
        for entry in self._store.journal_of_order(account, order_id):
            if entry.kind is JournalKind.SUBMIT_STATE:
                state, at = entries.decode_submit_state(entry.payload)
                if state is SubmitState.SENT:
                    latest = at
        return latest

    def request_cancel(
        self,
        account: str,
        order_id: str,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        held: OrderRecord | None = None,
    ) -> OrderRecord:
        """Note that a cancel was requested; a no-op if already requested or finished."""

        def work(tx: StoreTransaction, record: OrderRecord, fresh: bool) -> OrderRecord:
            now = self._clock.now()
            updated = bookkeeping.after_cancel_request(record, now)
            if updated is None:
                self._confirm(tx, record, fresh)
                return record
            tx.update_order(updated, record.version)
            _note(
                tx,
                JournalKind.CANCEL_REQUESTED,
                record,
                entries.encode_cancel_request(now),
                at=now,
                causation_id=causation_id,
                correlation_id=correlation_id,
            )
            return updated

        return self._on_order(account, order_id, held, work)

    def _plan_of_group(self, tx: StoreTransaction, account: str, group_id: str) -> str | None:
        key = (account, group_id)
        known = self._group_plans
        if key in known:
            return known[key]
        group = tx.get_group(account, group_id)
        if group is None:
            raise NotFound(f"group {group_id} in account {account}")
        self._remember_group(account, group_id, group.plan_id)
        return group.plan_id

    def _group_recorded(self, tx: StoreTransaction, account: str, group_id: str) -> bool:
        if (account, group_id) in self._group_plans:
            return True
        group = tx.get_group(account, group_id)
        if group is None:
            return False
        self._remember_group(account, group_id, group.plan_id)
        return True

    def _remember_group(self, account: str, group_id: str, plan_id: str | None) -> None:
        known = self._group_plans
        if len(known) >= _GROUPS_REMEMBERED:
            del known[next(iter(known))]  # forget the oldest
        known[(account, group_id)] = plan_id

    @staticmethod
    def _for_update(tx: StoreTransaction, account: str, order_id: str) -> OrderRecord:
        record = tx.get_order(account, order_id)
        if record is None:
            raise NotFound(f"order {order_id} in account {account}")
        return record

    # --- reads --------------------------------------------------------------------------

    def get(self, account: str, order_id: str) -> OrderRecord:
        """Return the account's order; :class:`~orderdesk.errors.NotFound` otherwise."""
        record = self._store.get_order(account, order_id)
        if record is None:
            raise NotFound(f"order {order_id} in account {account}")
        return record

    def get_by_client_order_id(self, account: str, venue: str, client_order_id: str) -> OrderRecord:
        """Return the account's order sent to ``venue`` under ``client_order_id``."""
        record = self._store.find_by_client_order_id(account, venue, client_order_id)
        if record is None:
            raise NotFound(f"client order id {client_order_id!r} on {venue} in {account}")
        return record

    def get_by_venue_order_id(self, account: str, venue: str, venue_order_id: str) -> OrderRecord:
        """Return the account's order that ``venue`` calls ``venue_order_id``."""
        record = self._store.find_by_venue_order_id(account, venue, venue_order_id)
        if record is None:
            raise NotFound(f"venue order id {venue_order_id!r} on {venue} in {account}")
        return record

    def load(
        self,
        account: str,
        query: OrderQuery = _ALL,
        *,
        cursor: str | None = None,
        limit: int = 1000,
    ) -> OrderPage:
        """Return one page of the account's orders matching ``query``, oldest first."""
        return self._store.load(account, query, cursor, limit)

    def load_all(self, account: str, query: OrderQuery = _ALL) -> Iterator[OrderRecord]:
        """Yield every one of the account's orders matching ``query``, page by page."""
        cursor: str | None = None
        while True:
            page = self._store.load(account, query, cursor)
            yield from page.records
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def fills(self, account: str, order_id: str) -> tuple[Fill, ...]:
        """Return the account's order's fills in the order they were recorded."""
        self.get(account, order_id)  # NotFound for a missing or another account's order
        return self._store.fills(account, order_id)

    def get_group(self, account: str, group_id: str) -> ExecutionGroup:
        """Return the account's execution group with its ``order_ids``."""
        group = self._store.get_group(account, group_id)
        if group is None:
            raise NotFound(f"group {group_id} in account {account}")
        return group

    def get_plan(self, account: str, plan_id: str) -> TradePlan:
        """Return the account's trade plan."""
        plan = self._store.get_plan(account, plan_id)
        if plan is None:
            raise NotFound(f"plan {plan_id} in account {account}")
        return plan

    def execution_rows(
        self, account: str, query: OrderQuery = _ALL, keys: Sequence[str] = ()
    ) -> Iterator[ExecutionRow]:
        """Yield the account's orders matching ``query`` as plain execution rows (see
        :mod:`orderdesk.model.execution_rows`), in no given order: from the store in one
        read when it offers the ExecutionRows port, else from its records."""
        if isinstance(self._store, ExecutionRows):
            return self._store.execution_rows(account, query, keys)
        names = check_keys(keys)
        return (execution_row(record, names) for record in self.load_all(account, query))

    def execution_totals(
        self,
        account: str,
        query: OrderQuery = _ALL,
        keys: Sequence[str] = (),
        *,
        submitted_from: datetime | None = None,
        submitted_until: datetime | None = None,
    ) -> dict[str, ExecutionTotals]:
        """Return the per-group totals of the account's orders matching ``query`` and
        submitted in ``[submitted_from, submitted_until)`` (see
        :mod:`orderdesk.model.execution_totals`): summed in the database when the store
        offers the ExecutionTotals port, else from execution rows."""
        if isinstance(self._store, ExecutionTotalsPort):
            return self._store.execution_totals(
                account,
                query,
                keys,
                submitted_from=submitted_from,
                submitted_until=submitted_until,
            )
        rows = self.execution_rows(account, query, keys)
        if submitted_from is not None or submitted_until is not None:
            rows = submitted_within(rows, submitted_from, submitted_until)
        return totals_of_rows(rows)
