"""Where a paper venue session starts numbering its orders and trades.

A venue numbers its orders and trades; a ledger keeps them for good. Two sessions of a paper
venue that both counted from 1 would hand one ledger the same venue order ids and trade ids
twice, so each session counts from a base of its own: the microsecond it started at, times
1,000, and never less than ``SESSION_SPAN`` above the base of the previous session in this
process. Ids stay below 2**63 (Binance's are 64-bit integers) until the year 2262.

Two sessions' ids can only meet if one of them makes more ids than 1,000 for each
microsecond it started before the other: a billion ids in this process, or a session
started in another process within a millisecond of a million-id one.
"""

from __future__ import annotations

import threading
import time
from typing import Final

__all__ = ["SESSION_SPAN", "session_id_base"]

SESSION_SPAN: Final = 10**9
"""Ids reserved for each session of this process."""

_lock = threading.Lock()
_last_base = 0


def session_id_base() -> int:
    """Return a base for a new session's ids, above every base this process gave out."""
    global _last_base  # noqa: PLW0603 - one allocator per process, as for order ids
    with _lock:
        base = max(time.time_ns() // 1_000 * 1_000, _last_base + SESSION_SPAN)
        _last_base = base
        return base
