"""Optional Store ports for execution statistics: plain rows per order, or totals per
group summed in the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from orderdesk.model.execution_rows import ExecutionRow
from orderdesk.model.execution_totals import ExecutionTotals
from orderdesk.ports.store import OrderQuery

__all__ = ["ExecutionRow", "ExecutionRows", "ExecutionTotals", "ExecutionTotalsPort"]


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
