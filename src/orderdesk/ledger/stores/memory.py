"""A Store in process memory: the reference implementation, for tests and quick backtests.

Transactions hold a lock and keep an undo log, so a failed block leaves nothing behind,
exactly as a database rollback would. Records are immutable values (their Order is sealed),
so they are stored and returned as they are, never copied. Journal payloads are kept as
the Ledger built them and read back as JSON would return them, a fresh copy each time.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from orderdesk.errors import ConcurrentUpdate, IntegrityError
from orderdesk.ledger.stores.columns import payload_text
from orderdesk.ledger.stores.paging import decode_cursor, encode_cursor
from orderdesk.model.enums import Side
from orderdesk.model.execution_rows import ExecutionRow, check_keys, execution_row
from orderdesk.model.fill import Fill
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import JournalEntry, NewEntry, OrderRecord
from orderdesk.model.timestamps import require_utc
from orderdesk.ports import OrderPage, OrderQuery

__all__ = ["MemoryStore"]

SCHEMA_VERSION = 6
"""The memory store has no schema to migrate; it reports the SQL stores' current version."""


def _entry(seq: int, entry: NewEntry) -> JournalEntry:
    # Through JSON, as the SQL stores return it: equal to theirs, and the reader's own copy.
    return entry.stored(seq, json.loads(payload_text(entry.payload)))


class _State:
    def __init__(self) -> None:
        # Every key is an account's, as in the SQL stores' schema: (account, id).
        self.plans: dict[tuple[str, str], TradePlan] = {}
        self.groups: dict[tuple[str, str], ExecutionGroup] = {}
        self.group_orders: dict[tuple[str, str], list[str]] = {}
        self.orders: dict[str, OrderRecord] = {}
        # Each account's orders as (created_at, order_id), sorted: pages read from a bisect.
        self.by_account: dict[str, list[tuple[datetime, str]]] = {}
        self.by_client_id: dict[tuple[str, str, str], str] = {}  # account, venue, client id
        self.by_venue_id: dict[tuple[str, str, str], str] = {}  # account, venue, venue id
        self.fills: dict[str, list[Fill]] = {}
        self.fill_ids: set[str] = set()
        # account, venue, symbol, trade id, side
        self.by_trade: dict[tuple[str, str, str, str, str], Fill] = {}
        self.journal: list[NewEntry] = []
        self.journal_by_order: dict[str, list[int]] = {}


class _Transaction:
    def __init__(self, state: _State) -> None:
        self._s = state
        self._undo: list[Callable[[], None]] = []

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()

    def undo_log(self) -> list[Callable[[], None]]:
        """What undoes this transaction's writes, oldest first."""
        return self._undo

    def get_order(self, account: str, order_id: str) -> OrderRecord | None:
        record = self._s.orders.get(order_id)
        return None if record is None or record.account != account else record

    def get_group(self, account: str, group_id: str) -> ExecutionGroup | None:
        return self._s.groups.get((account, group_id))

    def get_group_with_orders(self, account: str, group_id: str) -> ExecutionGroup | None:
        group = self.get_group(account, group_id)
        if group is None:
            return None
        orders = self._s.orders
        ids = sorted(
            self._s.group_orders[account, group_id],
            key=lambda order_id: (orders[order_id].order.created_at, order_id),
        )
        return group.model_copy(update={"order_ids": tuple(ids)})

    def get_plan(self, account: str, plan_id: str) -> TradePlan | None:
        return self._s.plans.get((account, plan_id))

    def fill_by_trade(
        self, account: str, venue: str, symbol: str, side: Side, trade_id: str
    ) -> Fill | None:
        return self._s.by_trade.get((account, venue, symbol, trade_id, side._value_))

    def insert_plan(self, plan: TradePlan) -> None:
        plans = self._s.plans
        key = (plan.account, plan.plan_id)
        if key in plans:
            raise IntegrityError(f"plan {plan.plan_id} already exists in {plan.account}")
        plans[key] = plan

        def undo() -> None:
            del plans[key]

        self._undo.append(undo)

    def insert_group(self, group: ExecutionGroup) -> None:
        s = self._s
        key = (group.account, group.group_id)
        if key in s.groups:
            raise IntegrityError(f"group {group.group_id} already exists in {group.account}")
        if group.plan_id is not None and (group.account, group.plan_id) not in s.plans:
            raise IntegrityError(f"group {group.group_id} names unknown plan {group.plan_id}")
        s.groups[key] = group.model_copy(update={"order_ids": ()}) if group.order_ids else group
        s.group_orders[key] = []

        def undo() -> None:
            del s.groups[key]
            del s.group_orders[key]

        self._undo.append(undo)

    def insert_order(self, record: OrderRecord) -> None:
        s = self._s
        order = record.order
        account = record.account
        client_key = (account, record.venue, record.client_order_id)
        group_key = (account, order.parent_group_id)
        if order.order_id in s.orders:
            raise IntegrityError(f"order {order.order_id} already exists")
        if client_key in s.by_client_id:
            raise IntegrityError(f"client order id {record.client_order_id!r} already used")
        if group_key not in s.groups:
            raise IntegrityError(f"order {order.order_id} names unknown group")
        s.orders[order.order_id] = record
        page_key = (order.created_at, order.order_id)
        insort(s.by_account.setdefault(account, []), page_key)
        s.by_client_id[client_key] = order.order_id
        s.group_orders[group_key].append(order.order_id)
        s.fills[order.order_id] = []
        venue_key = (account, record.venue, order.connector_order_id or "")
        if order.connector_order_id is not None:
            s.by_venue_id[venue_key] = order.order_id

        def undo() -> None:
            del s.orders[order.order_id]
            keys = s.by_account[account]
            del keys[bisect_left(keys, page_key)]
            del s.by_client_id[client_key]
            s.group_orders[group_key].remove(order.order_id)
            del s.fills[order.order_id]
            if order.connector_order_id is not None:
                del s.by_venue_id[venue_key]

        self._undo.append(undo)

    def update_order(self, record: OrderRecord, expected_version: int) -> None:
        if record.version != expected_version + 1:
            raise ValueError("an updated record's version must be expected_version + 1")
        s = self._s
        old = s.orders.get(record.order_id)
        if old is None or old.version != expected_version:
            raise ConcurrentUpdate(f"order {record.order_id} changed since version read")
        s.orders[record.order_id] = record
        new_id = record.order.connector_order_id
        venue_key = (record.account, record.venue, new_id or "")
        indexed = new_id is not None and old.order.connector_order_id != new_id
        if indexed:
            s.by_venue_id[venue_key] = record.order_id

        def undo() -> None:
            s.orders[record.order_id] = old
            if indexed:
                del s.by_venue_id[venue_key]

        self._undo.append(undo)

    def insert_fill(self, account: str, venue: str, symbol: str, side: Side, fill: Fill) -> None:
        s = self._s
        key = (account, venue, symbol, fill.trade_id, side._value_)
        if key in s.by_trade:
            raise IntegrityError(
                f"trade {fill.trade_id!r} on {venue} {symbol} already recorded for "
                f"{side.value} in {account}"
            )
        if fill.fill_id in s.fill_ids:
            raise IntegrityError(f"fill {fill.fill_id} already exists")
        if fill.order_id not in s.orders:
            raise IntegrityError(f"fill {fill.fill_id} names unknown order")
        s.by_trade[key] = fill
        s.fill_ids.add(fill.fill_id)
        s.fills[fill.order_id].append(fill)

        def undo() -> None:
            del s.by_trade[key]
            s.fill_ids.discard(fill.fill_id)
            s.fills[fill.order_id].pop()

        self._undo.append(undo)

    def append(self, entry: NewEntry) -> int:
        s = self._s
        require_utc(entry.at)
        journal = s.journal
        journal.append(entry)
        seq = len(journal)
        order_id = entry.order_id
        if order_id is not None:
            s.journal_by_order.setdefault(order_id, []).append(seq - 1)

        def undo() -> None:
            journal.pop()
            if order_id is not None:
                s.journal_by_order[order_id].pop()

        self._undo.append(undo)
        return seq


class _Writing:
    """One write transaction's block: the lock held throughout, the undo log run on error."""

    __slots__ = ("_batch", "_store", "_transaction")

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def __enter__(self) -> _Transaction:
        store = self._store
        store._lock.acquire()
        self._batch = store._batch_undo  # an open batch's undo log, read under the lock
        self._transaction = _Transaction(store._state)
        return self._transaction

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is not None:
                self._transaction.rollback()
            elif self._batch is not None:
                self._batch.extend(self._transaction.undo_log())
        finally:
            self._store._lock.release()


class MemoryStore:
    """A Store in memory; thread-safe, one writer at a time."""

    def __init__(self) -> None:
        self._state = _State()
        self._lock = threading.RLock()
        self._batch_undo: list[Callable[[], None]] | None = None
        self._reads = _Transaction(self._state)

    @property
    def schema_version(self) -> int:
        """The schema version this store is equivalent to."""
        return SCHEMA_VERSION

    def transaction(self) -> _Writing:
        """Open a write transaction: committed when the block ends, rolled back on error."""
        return _Writing(self)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group every transaction of the block into one commit (the Batching port): the
        lock is held throughout, and an error out of the block undoes every one of them."""
        with self._lock:
            if self._batch_undo is not None:  # part of the outer batch
                yield
                return
            undo: list[Callable[[], None]] = []
            self._batch_undo = undo
            try:
                yield
            except BaseException:
                while undo:
                    undo.pop()()
                raise
            finally:
                self._batch_undo = None

    def get_order(self, account: str, order_id: str) -> OrderRecord | None:
        """Return the account's order, or ``None``."""
        with self._lock:
            return self._reads.get_order(account, order_id)

    def _find(self, account: str, order_id: str | None) -> OrderRecord | None:
        return None if order_id is None else self._reads.get_order(account, order_id)

    def find_by_client_order_id(
        self, account: str, venue: str, client_order_id: str
    ) -> OrderRecord | None:
        """Return the account's order sent to ``venue`` under this client order id."""
        with self._lock:
            found = self._state.by_client_id.get((account, venue, client_order_id))
            return self._find(account, found)

    def find_by_venue_order_id(
        self, account: str, venue: str, venue_order_id: str
    ) -> OrderRecord | None:
        """Return the account's order that ``venue`` knows by this id."""
        with self._lock:
            found = self._state.by_venue_id.get((account, venue, venue_order_id))
            return self._find(account, found)

    def load(
        self, account: str, query: OrderQuery, cursor: str | None = None, limit: int = 1000
    ) -> OrderPage:
        """Return up to ``limit`` of the account's orders matching ``query``, oldest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        after = None if cursor is None else decode_cursor(cursor)
        statuses = None if query.statuses is None else frozenset(query.statuses)
        with self._lock:
            orders = self._state.orders
            keys = self._state.by_account.get(account, [])
            start = 0 if after is None else bisect_right(keys, after)
            if query.since is not None:
                start = max(start, bisect_left(keys, (query.since, "")))
            matched: list[OrderRecord] = []
            for index in range(start, len(keys)):
                created_at, order_id = keys[index]
                if query.until is not None and created_at >= query.until:
                    break
                record = orders[order_id]
                order = record.order
                if (
                    (statuses is None or order.status in statuses)
                    and (query.symbol is None or order.symbol == query.symbol)
                    and (query.group_id is None or order.parent_group_id == query.group_id)
                ):
                    matched.append(record)
                    if len(matched) > limit:
                        break
            records = tuple(matched[:limit])
        more = len(matched) > limit
        return OrderPage(records, encode_cursor(records[-1].order) if more else None)

    def fills(self, account: str, order_id: str) -> tuple[Fill, ...]:
        """Return the account's order's fills in the order they were recorded."""
        with self._lock:
            record = self._state.orders.get(order_id)
            if record is None or record.account != account:
                return ()
            return tuple(self._state.fills[order_id])

    def fill_by_trade(
        self, account: str, venue: str, symbol: str, side: Side, trade_id: str
    ) -> Fill | None:
        """Return the account's fill recorded for this side of a venue trade, whatever its
        order."""
        with self._lock:
            return self._reads.fill_by_trade(account, venue, symbol, side, trade_id)

    def get_group(self, account: str, group_id: str) -> ExecutionGroup | None:
        """Return the account's group with its ``order_ids``, or ``None``."""
        with self._lock:
            return self._reads.get_group_with_orders(account, group_id)

    def get_plan(self, account: str, plan_id: str) -> TradePlan | None:
        """Return the account's plan, or ``None``."""
        with self._lock:
            return self._reads.get_plan(account, plan_id)

    def journal(self, after: int = 0, limit: int = 1000) -> tuple[JournalEntry, ...]:
        """Return up to ``limit`` journal entries with ``seq > after``, in order."""
        with self._lock:
            start = max(after, 0)
            journal = self._state.journal
            return tuple(
                _entry(seq, journal[seq - 1])
                for seq in range(start + 1, min(start + limit, len(journal)) + 1)
            )

    def journal_of_order(self, account: str, order_id: str) -> tuple[JournalEntry, ...]:
        """Return the account's order's journal entries, in order."""
        with self._lock:
            journal = self._state.journal
            indexes = self._state.journal_by_order.get(order_id, [])
            return tuple(
                _entry(i + 1, journal[i]) for i in indexes if journal[i].account == account
            )

    def execution_rows(
        self, account: str, query: OrderQuery, keys: Sequence[str]
    ) -> Iterator[ExecutionRow]:
        """Yield one plain row per order of ``account`` matching ``query`` (the ExecutionRows
        port), read under the lock at the call: later writes do not show."""
        names = check_keys(keys)
        statuses = None if query.statuses is None else frozenset(query.statuses)
        with self._lock:
            state = self._state
            rows = []
            for _, order_id in state.by_account.get(account, []):
                record = state.orders[order_id]
                order = record.order
                if (
                    (statuses is None or order.status in statuses)
                    and (query.symbol is None or order.symbol == query.symbol)
                    and (query.group_id is None or order.parent_group_id == query.group_id)
                    and (query.since is None or order.created_at >= query.since)
                    and (query.until is None or order.created_at < query.until)
                ):
                    rows.append(execution_row(record, names))
        return iter(rows)

    def close(self) -> None:
        """Nothing to release; present for the port."""
