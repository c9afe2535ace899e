"""What a broker reads beside its orders: execution quality, and an order's causality chain.

The broker does not compute either; it asks the :class:`Reads` it was given.
:class:`orderdesk.desk.LedgerReads` reads both from the Ledger (the statistics with
:mod:`orderdesk.stats`), and the brokers of :mod:`orderdesk.desk` (those ``paper_broker()``
and :mod:`orderdesk.app` build) come with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from orderdesk.ledger import Trace
from orderdesk.ports import Clock

__all__ = ["Reads"]


class Reads(Protocol):
    """Execution quality and causality chains of an account's orders."""

    def stats(
        self,
        account: str,
        clock: Clock,
        window: str | timedelta | None,
        *,
        start: datetime | None,
        end: datetime | None,
        group_by: Iterable[str],
    ) -> Any:
        """Return the execution quality of ``account``'s orders over the last ``window``
        up to ``clock``'s now, or from ``start`` to ``end``."""
        ...

    def trace(self, account: str, order_id: str) -> Trace:
        """Return the order's causality chain: plan, group, order, every event and fill."""
        ...
