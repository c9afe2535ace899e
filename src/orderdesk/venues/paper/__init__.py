"""The paper venue: a deterministic simulated exchange with fault injection."""

from orderdesk.venues.paper.connector import PaperConnector
from orderdesk.venues.paper.exchange import CLIENT_ORDER_ID, HOUSE, ClientIdScope, PaperExchange
from orderdesk.venues.paper.faults import Faults
from orderdesk.venues.paper.feeds import (
    Bar,
    MarketEvent,
    Quote,
    Replay,
    SyntheticFeed,
    Trade,
    apply_event,
    read_csv,
    run_realtime,
)
from orderdesk.venues.paper.fees import DEFAULT_FEES, FeeRates, FeeSchedule
from orderdesk.venues.paper.latency import LatencyModel

__all__ = [
    "Bar",
    "CLIENT_ORDER_ID",
    "ClientIdScope",
    "DEFAULT_FEES",
    "Faults",
    "FeeRates",
    "FeeSchedule",
    "HOUSE",
    "LatencyModel",
    "MarketEvent",
    "PaperConnector",
    "PaperExchange",
    "Quote",
    "Replay",
    "SyntheticFeed",
    "Trade",
    "apply_event",
    "read_csv",
    "run_realtime",
]
