"""Identifiers ``PREFIX_YYYYMMDD_HHMMSS_xxxxxxxx``: UTC second plus 8 hex digits.

8 hex digits are only 2**32 values, so random suffixes collide once many ids share a second
(the birthday bound is reached near 77,000 ids). The suffix is instead a per-process 32-bit
counter that starts at a random value: ids made by one process never repeat until 2**32 have
been made, whatever the clock does. A forked child starts a fresh counter, so parent and
child do not walk the same sequence. Across processes uniqueness is probabilistic and the
Ledger's UNIQUE keys are the final guard.

Id generation is the one place in the model that may read the wall clock and the OS's random
source, and only when the caller gives no time; :class:`IdGenerator` takes both explicitly.
"""

from __future__ import annotations

import itertools
import os
import re
from datetime import UTC, datetime
from typing import Final

__all__ = [
    "FILL_ID",
    "GROUP_ID",
    "ORDER_ID",
    "PLAN_ID",
    "IdGenerator",
    "generate_fill_id",
    "generate_group_id",
    "generate_order_id",
    "generate_plan_id",
]

ORDER_ID: Final = re.compile(r"ORD_[0-9]{8}_[0-9]{6}_[0-9a-f]{8}")
"""An order id: ``^ORD_\\d{8}_\\d{6}_[0-9a-f]{8}$`` (ASCII digits only)."""
FILL_ID: Final = re.compile(r"FIL_[0-9]{8}_[0-9]{6}_[0-9a-f]{8}")
# Group and plan ids made elsewhere may end in any letters and digits (``EXG_..._xyz789``):
# they accept 1-32 ASCII letters and digits after the time; ours are 8 hex digits.
GROUP_ID: Final = re.compile(r"EXG_[0-9]{8}_[0-9]{6}_[0-9A-Za-z]{1,32}")
PLAN_ID: Final = re.compile(r"TPL_[0-9]{8}_[0-9]{6}_[0-9A-Za-z]{1,32}")

_MASK = 0xFFFFFFFF


class IdGenerator:
    """Make ids from a given UTC time and a 32-bit counter starting at ``start``."""

    __slots__ = ("_counter", "_stamp")

    def __init__(self, start: int) -> None:
        self._counter = itertools.count(start & _MASK)
        self._stamp: tuple[int, str] = (-1, "")

    def make(self, prefix: str, at: datetime) -> str:
        """Return ``{prefix}_{YYYYMMDD_HHMMSS of at in UTC}_{8 hex}``."""
        if at.tzinfo is None:
            raise ValueError("id time must be timezone-aware")
        second = int(at.timestamp())
        stamp = self._stamp  # one tuple, so threads never pair a second with another's text
        if stamp[0] != second:
            # Formatting the date is most of the cost; ids mostly share their second.
            stamp = (second, at.astimezone(UTC).strftime("%Y%m%d_%H%M%S"))
            self._stamp = stamp
        return f"{prefix}_{stamp[1]}_{next(self._counter) & _MASK:08x}"


class _ProcessGenerator:
    """The process-wide generator, created on first use and again in a forked child."""

    __slots__ = ("generator",)

    def __init__(self) -> None:
        self.generator: IdGenerator | None = None

    def reset(self) -> None:
        self.generator = None


_PROCESS = _ProcessGenerator()


def _make(prefix: str, at: datetime | None) -> str:
    generator = _PROCESS.generator
    if generator is None:
        if not _FORK_HOOK:
            # A forked child must not walk its parent's sequence; checking getpid() on
            # every id would cost a system call, so the child resets on fork instead.
            os.register_at_fork(after_in_child=_PROCESS.reset)
            _FORK_HOOK.append(True)
        generator = _PROCESS.generator = IdGenerator(int.from_bytes(os.urandom(4), "big"))
    return generator.make(prefix, datetime.now(UTC) if at is None else at)


_FORK_HOOK: list[bool] = []


def generate_order_id(at: datetime | None = None) -> str:
    """Return a new ``ORD_YYYYMMDD_HHMMSS_xxxxxxxx`` for time ``at`` (default: now, UTC)."""
    return _make("ORD", at)


def generate_group_id(at: datetime | None = None) -> str:
    """Return a new ``EXG_...`` execution-group id."""
    return _make("EXG", at)


def generate_plan_id(at: datetime | None = None) -> str:
    """Return a new ``TPL_...`` trade-plan id."""
    return _make("TPL", at)


def generate_fill_id(at: datetime | None = None) -> str:
    """Return a new ``FIL_...`` fill id."""
    return _make("FIL", at)
