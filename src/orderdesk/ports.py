"""The seams between orderdesk's core and the outside world, as ``typing.Protocol``.

Each port has one contract suite in :mod:`orderdesk.testing` that every implementation
passes. Implementations live in ``orderdesk.ledger.stores`` (Store) and ``orderdesk.venues``
(Connector); only :mod:`orderdesk.app` names them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from orderdesk.model.venue import (
    Balance,
    CancelResult,
    ExecutionReport,
    Market,
    SubmitRequest,
    SubmitResult,
    VenueFill,
    VenueOrder,
)

__all__ = ["Clock"]
__all__ += ["Connector"]


@runtime_checkable
class Clock(Protocol):
    """Where time comes from: the wall clock in production, a manual one in tests."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


# --- Connector: one account at one venue ----------------------------------------------------


@runtime_checkable
class Connector(Protocol):
    """One account at one venue: place, cancel and follow orders; read fills and balances.

    An instance is bound to one account's credentials and sees only that account's orders.
    A venue's "no" (a rejected order, an unknown order, a cancel that came too late) is a
    returned value; a transport failure raises a :class:`~orderdesk.errors.VenueError`
    subclass that says whether the request may have been processed.
    """

    @property
    def name(self) -> str:
        """The venue's name (``paper``, ``binance``...)."""
        ...

    async def markets(self) -> Mapping[str, Market]:
        """Return the tradable markets by symbol (``BTC_USDT``), with their filters."""
        ...

    async def submit(self, request: SubmitRequest) -> SubmitResult:
        """Place a new order named by ``request.client_order_id``."""
        ...

    async def cancel(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> CancelResult:
        """Cancel an order named by either id: cancelled, too late, or not found."""
        ...

    async def query(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> VenueOrder | None:
        """Return the order named by either id, or ``None`` if the venue does not know it."""
        ...

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        """Return the working orders, oldest first, of one symbol or all."""
        ...

    async def closed_orders(self, symbol: str, since: datetime) -> list[VenueOrder]:
        """Return the orders of ``symbol`` that finished at or after ``since``, oldest first."""
        ...

    async def fills_since(self, symbol: str, since: datetime) -> list[VenueFill]:
        """Return the account's executions in ``symbol`` at or after ``since``, oldest first."""
        ...

    async def balances(self) -> Mapping[str, Balance]:
        """Return the account's balances by asset."""
        ...

    def reports(self) -> AsyncIterator[ExecutionReport]:
        """Stream execution reports as the venue delivers them (duplicates and all)."""


# --- Store: where the Ledger keeps orders, fills, plans, groups and the Journal. ---

from collections.abc import Collection  # noqa: E402
from contextlib import AbstractContextManager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

from orderdesk.model.enums import OrderStatus, Side  # noqa: E402
from orderdesk.model.fill import Fill  # noqa: E402
from orderdesk.model.plans import ExecutionGroup, TradePlan  # noqa: E402
from orderdesk.model.records import JournalEntry, JournalKind, OrderRecord  # noqa: E402

__all__ += ["OrderPage", "OrderQuery", "Store", "StoreTransaction"]


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

    def append(
        self,
        *,
        at: datetime,
        kind: JournalKind,
        account: str,
        order_id: str | None,
        group_id: str | None,
        plan_id: str | None,
        causation_id: str | None,
        correlation_id: str | None,
        payload: Mapping[str, Any],
    ) -> int:
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


__all__ += ["MarketData"]


@runtime_checkable
class MarketData(Protocol):
    """Where the broker reads the market: the arrival price of an order is its mid quote."""

    async def mid_price(self, symbol: str) -> Decimal | None:
        """Return the mid of the best bid and ask of ``symbol`` now, or ``None`` if unknown."""
        ...


# --- ExecutionRows: one cheap row per order, for reports. ---

from collections.abc import Iterator, Sequence  # noqa: E402

from orderdesk.model.execution_rows import ExecutionRow  # noqa: E402

__all__ += ["ExecutionRow", "ExecutionRows"]


@runtime_checkable
class ExecutionRows(Protocol):
    """A Store that lists an account's orders as plain rows, for execution statistics.

    An optional port: statistics sum these rows when the store cannot sum in its database
    (:class:`ExecutionTotalsPort`), and build the same rows from records otherwise. Plain
    tuples of text keep a million rows cheap; the row is described in
    :mod:`orderdesk.model.execution_rows`.
    """

    def execution_rows(
        self, account: str, query: OrderQuery, keys: Sequence[str]
    ) -> Iterator[ExecutionRow]:
        """Yield one row per order of ``account`` matching ``query``, in no given order.

        ``keys`` names fields of ``EXECUTION_KEYS``; anything else is a ``ValueError``.
        """
        ...


# --- ExecutionTotals: one row per group, summed in the database. ---

from orderdesk.model.execution_totals import ExecutionTotals  # noqa: E402

__all__ += ["ExecutionTotals", "ExecutionTotalsPort"]


@runtime_checkable
class ExecutionTotalsPort(Protocol):
    """A Store that sums an account's orders per group inside its database.

    An optional port: the Ledger sums execution rows itself when the store lacks it. The
    sums must equal :func:`~orderdesk.model.execution_totals.totals_of_rows` over the same
    orders, value for value.
    """

    def execution_totals(
        self,
        account: str,
        query: OrderQuery,
        keys: Sequence[str],
        *,
        submitted_from: datetime | None = None,
        submitted_until: datetime | None = None,
    ) -> dict[str, ExecutionTotals]:
        """Return the totals of ``account``'s orders matching ``query`` and submitted in
        ``[submitted_from, submitted_until)``, by key (as execution rows carry it).

        ``keys`` names fields of ``EXECUTION_KEYS``; anything else is a ``ValueError``.
        """
        ...
