"""Executions from a Ledger: each order with its fills and the broker's recorded facts.

The clock of an order starts when it was sent (``sent_at``, just after the pre-trade checks
of ``submit``); an order never sent is counted by its ``created_at``. Base and quote assets
come from the symbol (``BTC_USDT`` is BTC priced in USDT).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from orderdesk.ledger import Ledger
from orderdesk.model import OrderType
from orderdesk.model.records import OrderRecord
from orderdesk.ports import OrderQuery
from orderdesk.stats.quality import Execution

__all__ = ["LedgerExecutions", "execution_of", "executions"]


def execution_of(record: OrderRecord, ledger: Ledger) -> Execution:
    """Return ``record`` as an :class:`Execution`, with its fills from ``ledger``."""
    order = record.order
    base, _, quote = order.symbol.partition("_")
    fills = ledger.fills(record.account, order.order_id) if record.fill_count else ()
    return Execution(
        order_id=order.order_id,
        account=record.account,
        venue=record.venue,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        quantity=order.quantity,
        status=order.status,
        base_asset=base,
        quote_asset=quote,
        submitted_at=record.sent_at or order.created_at,
        limit_price=None if order.order_type is OrderType.MARKET else order.price,
        arrival_price=record.arrival_price,
        acked_at=record.acked_at,
        fills=tuple(fills),
    )


@dataclass(slots=True)
class LedgerExecutions(Iterator[Execution]):
    """An account's orders created in ``[start, end)`` as executions, read as iterated.

    :func:`~orderdesk.stats.rows.executions_report` reports on the orders it selects from
    the ledger's per-group sums instead of building an Execution per order.
    """

    ledger: Ledger
    account: str
    start: datetime | None = None
    end: datetime | None = None
    _records: Iterator[OrderRecord] | None = field(default=None, repr=False)

    @property
    def untouched(self) -> bool:
        """Whether no execution has been read yet."""
        return self._records is None

    def __next__(self) -> Execution:
        if self._records is None:
            query = OrderQuery(since=self.start, until=self.end)
            self._records = self.ledger.load_all(self.account, query)
        return execution_of(next(self._records), self.ledger)


def executions(
    ledger: Ledger,
    account: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> LedgerExecutions:
    """Return ``account``'s orders created in ``[start, end)`` as executions (an iterator)."""
    return LedgerExecutions(ledger, account, start, end)
