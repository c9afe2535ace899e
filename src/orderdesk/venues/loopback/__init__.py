"""The paper venue served on 127.0.0.1 as a Binance-spot-compatible REST subset."""

from orderdesk.venues.loopback.cli import main
from orderdesk.venues.loopback.config import LoopbackAccount, LoopbackConfig, Secret, load_config
from orderdesk.venues.loopback.server import LoopbackServer, ccxt_urls, serve

__all__ = [
    "LoopbackAccount",
    "LoopbackConfig",
    "LoopbackServer",
    "Secret",
    "ccxt_urls",
    "load_config",
    "main",
    "serve",
]
