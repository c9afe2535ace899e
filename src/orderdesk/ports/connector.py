"""The Connector port: one account at one venue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
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

__all__ = ["Connector"]


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
