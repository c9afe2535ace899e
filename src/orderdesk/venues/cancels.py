"""What a cancel the venue refused achieved, found by asking the venue for the order.

A venue answers a cancel it did not carry out with a bare "no" (Binance's ``-2011 Unknown
order sent.``, ccxt's ``OrderNotFound`` or ``InvalidOrder``): the order may be unknown
there, already finished, or still working. The refusal alone cannot tell these apart, so a
connector that receives one asks for the order by the same ids and settles the cancel here:

=======================  ==========================================================
the query finds          the cancel is
=======================  ==========================================================
nothing                  ``NOT_FOUND``, naming the ids it was asked for, no status
a finished order         ``TOO_LATE``, with the order's ids and its final status
                         (``FILLED``, ``EXPIRED``, ``CANCELLED``, ``REJECTED``)
a working order          not settled: :class:`~orderdesk.errors.OutcomeUnknown`, so the
                         cancel is retried and never reported as done or too late
=======================  ==========================================================

A query that fails raises its own :class:`~orderdesk.errors.VenueError`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from orderdesk.errors import OutcomeUnknown
from orderdesk.model import CancelOutcome, CancelResult
from orderdesk.ports import Connector

__all__ = ["settle_refused_cancel"]


async def settle_refused_cancel(
    connector: Connector,
    symbol: str,
    *,
    client_order_id: str | None,
    venue_order_id: str | None,
    refusal: str,
) -> CancelResult:
    """Return what a cancel ``connector``'s venue refused (saying ``refusal``) achieved.

    The order is asked for by the ids the cancel named; see the module's table. ``refusal``
    is the venue's answer, already free of secrets: it is the detail of the
    ``OutcomeUnknown`` raised for an order that still works.
    """
    known = await connector.query(
        symbol, client_order_id=client_order_id, venue_order_id=venue_order_id
    )
    at = datetime.now(UTC)
    if known is None:
        return CancelResult(CancelOutcome.NOT_FOUND, at, venue_order_id, client_order_id)
    if known.is_open:
        detail = f"refused while the order works: {refusal}"
        raise OutcomeUnknown(connector.name, "cancel", detail)
    return CancelResult(
        CancelOutcome.TOO_LATE, at, known.venue_order_id, known.client_order_id, known.status
    )
