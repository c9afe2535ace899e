"""Venues: implementations of the :class:`~orderdesk.ports.Connector` port.

:mod:`orderdesk.venues.paper` is the built-in simulated exchange (matching engine, feeds,
fees, latency, fault injection); :mod:`orderdesk.venues.loopback` serves it over HTTP as a
Binance-spot-compatible REST subset; :mod:`orderdesk.venues.ccxt` reaches real exchanges
through ccxt (the ``ccxt`` extra: only importing it imports ccxt).
"""
