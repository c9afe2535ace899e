"""The paper venue: a deterministic simulated exchange with fault injection.

A backtest in a few lines (the clock moves only when the replay moves it)::

    clock = ManualClock(start)
    exchange = PaperExchange([market], clock=clock, seed=1, latency=LatencyModel(ack=ms(5)))
    exchange.open_account("alice", {"USDT": Decimal("10000")}, faults=Faults(drop_reply=0.2))
    connector = PaperConnector(exchange, "alice")          # the Connector port
    replay = Replay(exchange, clock, SyntheticFeed(market, seed=1, start=start,
                                                   mid=Decimal("100")).events(10_000))
    replay.advance(timedelta(seconds=1))                   # market data up to start + 1 s
    result = await connector.submit(request)               # may raise OutcomeUnknown
    replay.advance(timedelta(milliseconds=5))              # the ACK falls due
    reports = connector.drain_reports()                    # or: async for r in reports()

One consumer per account: reports are handed out once, to whichever reader takes them.
"""

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
