"""The paper venue served on 127.0.0.1 as a Binance-spot-compatible REST subset.

``serve`` (and ``orderdesk venue serve``) runs the server; ``LoopbackConnector`` is the
``Connector`` that reaches it over HTTP from another process.
"""

from orderdesk.venues.loopback.cli import main
from orderdesk.venues.loopback.client import LoopbackConnector
from orderdesk.venues.loopback.config import LoopbackAccount, LoopbackConfig, Secret, load_config
from orderdesk.venues.loopback.server import LoopbackServer, ccxt_urls, serve

__all__ = [
    "LoopbackAccount",
    "LoopbackConfig",
    "LoopbackConnector",
    "LoopbackServer",
    "Secret",
    "ccxt_urls",
    "load_config",
    "main",
    "serve",
]
