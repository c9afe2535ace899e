"""The composition root: the one place that names concrete stores and venues.

Every desk orderdesk runs is built here, one module per kind:

* :mod:`orderdesk.app.ledgers`: a Ledger on the store a URL names (:func:`open_ledger`);
* :mod:`orderdesk.app.paper`: a broker on an in-process PaperExchange (:func:`paper_desk`,
  :func:`paper_broker`), as ``orderdesk paper run`` and the test kit trade;
* :mod:`orderdesk.app.demo`: ``orderdesk demo``'s desk on a synthetic feed;
* :mod:`orderdesk.app.live`: a broker at the venue the configuration names
  (:func:`live_desk`), the paper venue served over HTTP (:mod:`orderdesk.app.loopback`) or a
  real exchange through ccxt (:mod:`orderdesk.app.ccxt`);
* :func:`tune_gc`, what a long-running desk process sets once.
"""

from orderdesk.app.ccxt import ccxt_connector, ccxt_env_names
from orderdesk.app.demo import demo_desk
from orderdesk.app.ledgers import open_ledger, open_store
from orderdesk.app.live import LiveDesk, live_broker, live_connector, live_desk
from orderdesk.app.loopback import LOOPBACK_URL, serve_venue
from orderdesk.app.paper import (
    DEFAULT_DEPOSITS,
    DEFAULT_MARKETS,
    MarketEvent,
    PaperDesk,
    PaperExchange,
    generous_deposits,
    paper_broker,
    paper_desk,
    paper_exchange,
    read_feed,
)
from orderdesk.app.runtime import tune_gc

__all__ = [
    "DEFAULT_DEPOSITS",
    "DEFAULT_MARKETS",
    "LOOPBACK_URL",
    "LiveDesk",
    "MarketEvent",
    "PaperDesk",
    "PaperExchange",
    "ccxt_connector",
    "ccxt_env_names",
    "demo_desk",
    "generous_deposits",
    "live_broker",
    "live_connector",
    "live_desk",
    "open_ledger",
    "open_store",
    "paper_broker",
    "paper_desk",
    "paper_exchange",
    "read_feed",
    "serve_venue",
    "tune_gc",
]
