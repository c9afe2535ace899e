"""Venues: implementations of the :class:`~orderdesk.ports.Connector` port.

:mod:`orderdesk.venues.paper` is the built-in simulated exchange (matching engine, feeds,
fees, latency, fault injection); :mod:`orderdesk.venues.loopback` serves it over HTTP as a
Binance-spot-compatible REST subset.
"""
