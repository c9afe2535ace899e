"""The seams between orderdesk's core and the outside world, as ``typing.Protocol``.

Each port has one contract suite in :mod:`orderdesk.testing` that every implementation
passes. Implementations live in ``orderdesk.ledger.stores`` (Store) and ``orderdesk.venues``
(Connector); only :mod:`orderdesk.app` names them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock"]


@runtime_checkable
class Clock(Protocol):
    """Where time comes from: the wall clock in production, a manual one in tests."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...
