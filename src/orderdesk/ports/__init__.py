"""The seams between orderdesk's core and the outside world, as ``typing.Protocol``.

Each port has one contract suite in :mod:`orderdesk.testing` that every implementation
passes. Implementations live in ``orderdesk.ledger.stores`` (Store) and ``orderdesk.venues``
(Connector); only :mod:`orderdesk.app` names them.
"""

from orderdesk.ports.clock import Clock
from orderdesk.ports.connector import Connector
from orderdesk.ports.market_data import MarketData
from orderdesk.ports.reports import (
    ExecutionRow,
    ExecutionRows,
    ExecutionTotals,
    ExecutionTotalsPort,
)
from orderdesk.ports.store import Batching, OrderPage, OrderQuery, Store, StoreTransaction

__all__ = [
    "Batching",
    "Clock",
    "Connector",
    "ExecutionRow",
    "ExecutionRows",
    "ExecutionTotals",
    "ExecutionTotalsPort",
    "MarketData",
    "OrderPage",
    "OrderQuery",
    "Store",
    "StoreTransaction",
]
