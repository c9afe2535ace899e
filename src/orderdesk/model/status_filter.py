"""What ``load(status=...)`` means: one status, a group of them, or an exact set.

``status`` takes any :class:`OrderStatus` value or a group name:

* ``"OPEN"`` means working at the venue: OPEN and PARTIALLY_FILLED;
* ``"CLOSED"`` means finished: FILLED, CANCELLED, REJECTED and EXPIRED;
* any other status name means exactly that status (``"PENDING"``, ``"CANCELLED"`` ...).

For exactly OPEN and nothing else, pass ``statuses=["OPEN"]``: ``statuses`` is always an
exact set. Names are matched without regard to case. A misspelt name raises ``ValueError``
listing the valid values and suggesting the closest one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from orderdesk.model.enums import TERMINAL_STATUSES, OrderStatus

__all__ = ["STATUS_GROUPS", "WORKING_STATUSES", "status_filter"]

WORKING_STATUSES: Final = frozenset({OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})

STATUS_GROUPS: Final[Mapping[str, frozenset[OrderStatus]]] = MappingProxyType(
    {
        "OPEN": WORKING_STATUSES,
        "CLOSED": TERMINAL_STATUSES,
        **{s.value: frozenset({s}) for s in OrderStatus if s is not OrderStatus.OPEN},
    }
)
"""Every name ``status=`` accepts and the statuses it stands for."""


def _valid_values() -> str:
    groups = ", ".join(
        f"{name} ({' + '.join(sorted(s.value for s in members))})"
        for name, members in STATUS_GROUPS.items()
        if len(members) > 1
    )
    return f"{groups}, or one of {', '.join(s.value for s in OrderStatus)}"


def _unknown(raw: object, choices: Iterable[str]) -> ValueError:
    text = str(raw)
    close = difflib.get_close_matches(text.upper(), list(choices), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"unknown order status {text!r}.{hint} Valid: {_valid_values()}.")


def _one(raw: object) -> OrderStatus:
    name = raw.value if isinstance(raw, OrderStatus) else raw
    if isinstance(name, str):
        try:
            return OrderStatus(name.upper())
        except ValueError:
            pass
    raise _unknown(raw, [s.value for s in OrderStatus])


def status_filter(
    status: str | OrderStatus | None = None,
    statuses: Iterable[str | OrderStatus] | None = None,
) -> frozenset[OrderStatus] | None:
    """Return the statuses a ``load`` asks for, or ``None`` for all of them."""
    if status is not None and statuses is not None:
        raise ValueError("give status= or statuses=, not both")
    if statuses is not None:
        if isinstance(statuses, str):
            raise ValueError("statuses= takes a list of statuses; for one, use status=")
        chosen = frozenset(_one(s) for s in statuses)
        if not chosen:
            raise ValueError("statuses= is empty: it would match nothing")
        return chosen
    if status is None:
        return None
    name = status.value if isinstance(status, OrderStatus) else status
    if isinstance(name, str) and name.upper() in STATUS_GROUPS:
        return STATUS_GROUPS[name.upper()]
    raise _unknown(status, STATUS_GROUPS)
