"""Where time comes from."""

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
