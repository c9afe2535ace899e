"""The Broker as a strategy uses it: the order protocol of :mod:`orderdesk.broker`, with the
Ledger's reads of execution quality (:mod:`orderdesk.stats`) and causality (its journal).

:class:`AsyncBroker` and :class:`Broker` here are :mod:`orderdesk.broker`'s, built with
:class:`LedgerReads`; they take the same arguments and have the same methods, with
``stats(...)`` typed as the :class:`~orderdesk.stats.Report` it returns. ``paper_broker()``
and the brokers :mod:`orderdesk.app` builds are these.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from orderdesk.broker import core, sync
from orderdesk.ledger import Journal, Ledger, Trace
from orderdesk.ports import Clock
from orderdesk.stats import Report, ledger_report, parse_window

__all__ = ["AsyncBroker", "Broker", "LedgerReads"]


class LedgerReads:
    """Execution quality and causality chains, read from a Ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._journal = Journal(ledger.store)

    def stats(
        self,
        account: str,
        clock: Clock,
        window: str | timedelta | None,
        *,
        start: datetime | None,
        end: datetime | None,
        group_by: Iterable[str],
    ) -> Report:
        """Return the execution quality of ``account``'s orders created over the last
        ``window`` (``"90s"``, ``"15m"``, ``"1h"``, ``"7d"`` or a timedelta) up to
        ``clock``'s now, or in ``[start, end)``; the report names the window."""
        if window is not None:
            if start is not None or end is not None:
                raise ValueError("give window= or start=/end=, not both")
            span = parse_window(window) if isinstance(window, str) else window
            end = clock.now()
            start = end - span
        # The window selects orders by creation; the report's figures run from their send.
        return ledger_report(self._ledger, account, start=start, end=end, group_by=tuple(group_by))

    def trace(self, account: str, order_id: str) -> Trace:
        """Return the order's causality chain: plan, group, order, every event and fill."""
        return self._journal.trace(account, order_id)


class AsyncBroker(core.AsyncBroker):
    """:class:`orderdesk.broker.AsyncBroker` reading its statistics and traces from its
    Ledger (unless given other ``reads``)."""

    @staticmethod
    def _reads_of(ledger: Ledger) -> LedgerReads:
        return LedgerReads(ledger)

    async def stats(
        self,
        window: str | timedelta | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        group_by: Iterable[str] = (),
    ) -> Report:
        """See :meth:`orderdesk.broker.AsyncBroker.stats`."""
        report: Report = await super().stats(window, start=start, end=end, group_by=group_by)
        return report


class Broker(sync.Broker):
    """:class:`orderdesk.broker.Broker` driving an :class:`AsyncBroker` of this module."""

    _engine = AsyncBroker

    def stats(
        self,
        window: str | timedelta | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        group_by: Iterable[str] = (),
    ) -> Report:
        """See :meth:`orderdesk.broker.AsyncBroker.stats`: ``window="1h"``, or
        ``start``/``end``."""
        report: Report = super().stats(window, start=start, end=end, group_by=group_by)
        return report
