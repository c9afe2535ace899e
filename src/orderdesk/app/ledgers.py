"""Ledgers from URLs: the one way orderdesk opens a store."""

from __future__ import annotations

from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.ports import Clock, Store

__all__ = ["open_ledger", "open_store"]


def open_ledger(
    store: str | Store,
    *,
    clock: Clock | None = None,
    create: bool = True,
    upgrade: bool = True,
) -> Ledger:
    """Return a Ledger on ``store``, timed by ``clock`` (default: the system's).

    ``store`` is a URL that :func:`~orderdesk.ledger.stores.open_store` opens, with its
    ``create`` and ``upgrade``: ``memory://``, a SQLite file or ``sqlite:///...`` URL,
    ``postgresql://...``; or a Store already open, used as it is.
    """
    opened = open_store(store, upgrade=upgrade, create=create) if isinstance(store, str) else store
    return Ledger(opened, clock or SystemClock())
