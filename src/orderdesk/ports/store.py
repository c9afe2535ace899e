"""The Store port: where the Ledger keeps orders, fills, plans, groups and the Journal."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from orderdesk.model.enums import OrderStatus, Side
from orderdesk.model.fill import Fill
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import JournalEntry, NewEntry, OrderRecord

__all__ = ["Batching", "OrderPage", "OrderQuery", "Store", "StoreTransaction"]


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """Which of an account's orders to load; every given criterion must hold.

    ``since`` is inclusive and ``until`` exclusive, both on ``created_at``.
    """

    statuses: Collection[OrderStatus] | None = None
    symbol: str | None = None
    group_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of orders, oldest first; pass ``next_cursor`` back for the next page."""

    records: tuple[OrderRecord, ...]
    next_cursor: str | None


class StoreTransaction(Protocol):
    """The writes (and the reads they depend on) of one atomic transaction."""

    def get_order(self, account: str, order_id: str) -> OrderRecord | None:
        """Return the account's order, or ``None``."""
        ...

    def get_group(self, account: str, group_id: str) -> ExecutionGroup | None:
        """Return the account's group without its ``order_ids`` (cheap), or ``None``."""
        ...

    def get_plan(self, account: str, plan_id: str) -> TradePlan | None:
        """Return the account's plan, or ``None``."""
        ...

    def fill_by_trade(
        self, account: str, venue: str, symbol: str, side: Side, trade_id: str
    ) -> Fill | None:
        """Return the account's fill recorded for this side of a venue trade, whatever its
        order, or ``None`` (a self-trade has a fill on each side under one trade id; another
        account's trade under the same id is another trade)."""
        ...

    def insert_plan(self, plan: TradePlan) -> None:
        """Add a plan; raise :class:`~orderdesk.errors.IntegrityError` if its id exists in
        its account."""
        ...

    def insert_group(self, group: ExecutionGroup) -> None:
        """Add a group (its ``order_ids`` come from its orders); ids are unique per
        account."""
        ...

    def insert_order(self, record: OrderRecord) -> None:
        """Add an order; ``order_id`` is unique, and so is (account, venue, client order
        id)."""
        ...

    def update_order(self, record: OrderRecord, expected_version: int) -> None:
        """Replace the order's row, whose version must still be ``expected_version``.

        ``record.version`` must be ``expected_version + 1``. Raise
        :class:`~orderdesk.errors.ConcurrentUpdate` if another writer got there first.
        """
        ...

    def insert_fill(self, account: str, venue: str, symbol: str, side: Side, fill: Fill) -> None:
        """Add a fill of an account's order on ``side``; (account, venue, symbol, trade id,
        side) and ``fill_id`` are unique."""
        ...

    def append(self, entry: NewEntry) -> int:
        """Append a journal entry and return its sequence number."""
        ...


class Store(Protocol):
    """Durable home of the Ledger's state; :class:`~orderdesk.ledger.Ledger` is its only writer.

    Every read is scoped by account: another account's record reads as absent. Driver errors
    surface as :class:`~orderdesk.errors.StoreError`.
    """

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        ...

    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        """Open a write transaction: committed when the block ends, rolled back on error."""
        ...

    def get_order(self, account: str, order_id: str) -> OrderRecord | None:
        """Return the account's order, or ``None``."""
        ...

    def find_by_client_order_id(
        self, account: str, venue: str, client_order_id: str
    ) -> OrderRecord | None:
        """Return the account's order sent to ``venue`` under this client order id."""
        ...

    def find_by_venue_order_id(
        self, account: str, venue: str, venue_order_id: str
    ) -> OrderRecord | None:
        """Return the account's order that ``venue`` knows by this id."""
        ...

    def load(
        self, account: str, query: OrderQuery, cursor: str | None = None, limit: int = 1000
    ) -> OrderPage:
        """Return up to ``limit`` of the account's orders matching ``query``, oldest first."""
        ...

    def fills(self, account: str, order_id: str) -> tuple[Fill, ...]:
        """Return the account's order's fills in the order they were recorded."""
        ...

    def fill_by_trade(
        self, account: str, venue: str, symbol: str, side: Side, trade_id: str
    ) -> Fill | None:
        """Return the account's fill recorded for this side of a venue trade, whatever its
        order, or ``None``.

        Like the transaction's own, for a caller (the Ledger) that reads it before deciding
        whether a write is needed at all; never shown to an account.
        """
        ...

    def get_group(self, account: str, group_id: str) -> ExecutionGroup | None:
        """Return the account's group with its ``order_ids``, or ``None``."""
        ...

    def get_plan(self, account: str, plan_id: str) -> TradePlan | None:
        """Return the account's plan, or ``None``."""
        ...

    def journal(self, after: int = 0, limit: int = 1000) -> tuple[JournalEntry, ...]:
        """Return up to ``limit`` journal entries with ``seq > after``, in order.

        The whole journal, every account's: for replay and audit, never for an account's
        own view (use :meth:`journal_of_order`).
        """
        ...

    def journal_of_order(self, account: str, order_id: str) -> tuple[JournalEntry, ...]:
        """Return the account's order's journal entries, in order."""
        ...

    def close(self) -> None:
        """Release the connection; the store is unusable afterwards."""
        ...


@runtime_checkable
class Batching(Protocol):
    """A Store that can group many write transactions into one commit: an optional port,
    for replays that may lose a whole simulated step in a crash but never part of one."""

    def batch(self) -> AbstractContextManager[None]:
        """Group every transaction of the block into one commit, made when it ends; an
        error out of the block rolls every one of them back. Nested, one batch."""
        ...
