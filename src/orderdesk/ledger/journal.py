"""The Journal: the append-only record of why every order exists and what happened to it.

Entries are written by the Ledger in the same transaction as the change they record, so the
Journal and the Ledger can never disagree; :meth:`Journal.replay` proves it by rebuilding
every order and fill from the entries alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from orderdesk.errors import NotFound
from orderdesk.ledger import bookkeeping, entries
from orderdesk.model.fill import Fill, OrderFills
from orderdesk.model.lifecycle import decide
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import JournalEntry, JournalKind, OrderRecord, SubmitState
from orderdesk.ports import Store

__all__ = ["Journal", "OrderHistory", "Trace", "replay"]

_EVENTS = frozenset(entries.EVENT_KINDS.values())


@dataclass(frozen=True, slots=True)
class Trace:
    """An order's causality chain: plan, group, order, then every entry in order."""

    plan: TradePlan | None
    group: ExecutionGroup
    record: OrderRecord
    entries: tuple[JournalEntry, ...]
    fills: tuple[Fill, ...]


@dataclass(frozen=True, slots=True)
class OrderHistory:
    """An order's state as rebuilt from the journal: its record and its fills, in order."""

    record: OrderRecord
    fills: tuple[Fill, ...]


class Journal:
    """Read the journal a store holds: page through it, trace an order, replay it all."""

    def __init__(self, store: Store, page_size: int = 1000) -> None:
        self._store = store
        self._page_size = page_size

    def entries(self, after: int = 0) -> Iterator[JournalEntry]:
        """Yield every entry with ``seq > after``, in order, page by page."""
        while True:
            page = self._store.journal(after, self._page_size)
            yield from page
            if len(page) < self._page_size:
                return
            after = page[-1].seq

    def latest(self) -> JournalEntry | None:
        """Return the most recently written entry (any account), or ``None`` if there is none.

        Stores page forward only, so the last ``seq`` is found by doubling then bisecting:
        about 2 log2(n) one-entry reads, a few dozen for millions of entries.
        """
        page = self._store.journal(0, 1)
        if not page:
            return None
        found = page[0]
        step = 1
        while page := self._store.journal(found.seq + step, 1):  # grow until nothing is beyond
            found = page[0]
            step *= 2
        low, high = found.seq, found.seq + step  # found.seq == low, and no entry is beyond high
        while low < high:
            middle = (low + high) // 2
            page = self._store.journal(middle, 1)
            if page:
                found = page[0]
                low = found.seq
            else:
                high = middle
        return found

    def trace(self, account: str, order_id: str) -> Trace:
        """Return the account's order's causality chain; NotFound for others' orders."""
        store = self._store
        record = store.get_order(account, order_id)
        if record is None:
            raise NotFound(f"order {order_id} in account {account}")
        group = store.get_group(account, record.order.parent_group_id)
        if group is None:  # the Ledger records an order only under a recorded group
            raise NotFound(f"group {record.order.parent_group_id} in account {account}")
        plan = None if group.plan_id is None else store.get_plan(account, group.plan_id)
        return Trace(
            plan=plan,
            group=group,
            record=record,
            entries=store.journal_of_order(account, order_id),
            fills=store.fills(account, order_id),
        )

    def replay(self) -> dict[str, OrderHistory]:
        """Rebuild every order and its fills from the journal alone, by order id."""
        return replay(self.entries())


def replay(journal: Iterable[JournalEntry]) -> dict[str, OrderHistory]:
    """Rebuild orders and fills from ``journal`` through the same lifecycle the Ledger uses."""
    records: dict[str, OrderRecord] = {}
    fills: dict[str, OrderFills] = {}
    for entry in journal:
        kind, order_id = entry.kind, entry.order_id
        if order_id is None:
            continue  # plans and groups: not order state
        if kind is JournalKind.ALARM:
            continue  # a refused report: it changed nothing
        if kind is JournalKind.ORDER_RECORDED:
            order, venue, client_order_id, plan_id, arrival = entries.decode_order(entry.payload)
            records[order_id] = bookkeeping.new_record(
                entry.account,
                order,
                venue=venue,
                client_order_id=client_order_id,
                plan_id=plan_id,
                arrival_price=arrival,
            )
            fills[order_id] = OrderFills(order.quantity)
            continue
        record = records[order_id]
        updated: OrderRecord | None
        if kind in _EVENTS:
            event = entries.decode_event(kind, entry.payload)
            transition = decide(record.order, fills[order_id], event)
            updated = bookkeeping.after_event(record, transition, event.at)
            if transition.fill is not None:
                fills[order_id].add(transition.fill)
        elif kind is JournalKind.SUBMIT_STATE:
            state, at = entries.decode_submit_state(entry.payload)
            if state is SubmitState.SENT and record.submit_state is SubmitState.SENT:
                updated = bookkeeping.after_resend_claim(record)  # a stale send reclaimed
            else:
                updated = bookkeeping.after_submit_state(record, state, at)
        elif kind is JournalKind.CANCEL_REQUESTED:
            updated = bookkeeping.after_cancel_request(record, entries.decode_time(entry.payload))
        else:
            raise ValueError(f"entry {entry.seq}: unknown kind {kind.value}")
        if updated is not None:
            records[order_id] = updated
    return {
        order_id: OrderHistory(record, tuple(fills[order_id]))
        for order_id, record in records.items()
    }
