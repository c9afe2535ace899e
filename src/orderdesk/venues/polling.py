"""Execution reports from polled order and trade lists, for venues reached over REST."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from orderdesk.model import ExecutionReport, OrderStatus, ReportKind, VenueFill, VenueOrder

__all__ = ["ReportPoller"]

_ENDS = {OrderStatus.CANCELLED: ReportKind.CANCELLED, OrderStatus.EXPIRED: ReportKind.EXPIRED}


class ReportPoller:
    """Turn successive snapshots of orders and fills into reports, each event once.

    A new order gives ACK, a new trade FILL, an order found cancelled or expired CANCELLED
    or EXPIRED; a filled order needs no report beyond its last fill. Within one poll the
    reports come in time order, ACK before FILL before an end at the same time.
    """

    __slots__ = ("_ended", "_orders", "_seq", "_trades", "since")

    def __init__(self, since: datetime) -> None:
        self.since = since
        self._orders: set[str] = set()
        self._ended: set[str] = set()
        self._trades: set[tuple[str, str]] = set()
        self._seq = 0

    def poll(
        self, symbol: str, orders: Iterable[VenueOrder], fills: Iterable[VenueFill]
    ) -> list[ExecutionReport]:
        """Return the reports that ``orders`` and ``fills`` of ``symbol`` add to what was seen."""
        by_id = {o.venue_order_id: o for o in orders if o.updated_at >= self.since}
        events: list[tuple[datetime, int, ReportKind, VenueOrder, VenueFill | None]] = []
        for order in by_id.values():
            if order.venue_order_id not in self._orders:
                self._orders.add(order.venue_order_id)
                events.append((order.created_at, 0, ReportKind.ACK, order, None))
            end = _ENDS.get(order.status)
            if end is not None and order.venue_order_id not in self._ended:
                self._ended.add(order.venue_order_id)
                events.append((order.updated_at, 2, end, order, None))
        for fill in fills:
            key = (symbol, fill.trade_id)
            owner = by_id.get(fill.venue_order_id)
            if key in self._trades or owner is None:
                continue
            self._trades.add(key)
            events.append((fill.executed_at, 1, ReportKind.FILL, owner, fill))
        events.sort(key=lambda event: (event[0], event[1]))
        out = []
        for at, _, kind, order, executed in events:
            self._seq += 1
            ack = kind is ReportKind.ACK
            out.append(
                ExecutionReport(
                    seq=self._seq,
                    kind=kind,
                    at=at,
                    venue_order_id=order.venue_order_id,
                    client_order_id=order.client_order_id,
                    symbol=symbol,
                    status=OrderStatus.OPEN if ack else order.status,
                    filled_quantity=Decimal(0) if ack else order.filled_quantity,
                    fill=executed,
                )
            )
        return out
