"""Assertions the contract suites and proofs share: exact equality, journal replay, and a
journal's shape (two runs of one replay compared entry by entry)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.clocks import ManualClock
from orderdesk.ledger import Journal, Ledger, replay
from orderdesk.model.fill import Fill
from orderdesk.model.order import Order
from orderdesk.model.records import JournalEntry
from orderdesk.ports import Store
from orderdesk.testing.ledger_kit import T0

__all__ = ["EntryShape", "assert_replay_matches", "exact", "journal_shape"]

EntryShape = tuple[datetime, str, str | None, str | None, str | None, str | None, Any]
"""One entry as :func:`journal_shape` gives it: time, kind, order, group, causation,
correlation, payload."""

_ID_KEYS = frozenset({
    "order_id", "parent_group_id", "group_id", "plan_id", "client_order_id",
    "connector_order_id", "fill_id", "trade_id",
})  # fmt: skip
_GENERATED = re.compile(r"(?:ORD|EXG|FIL|TPL)_[0-9]{8}_[0-9]{6}_[0-9A-Za-z]{1,32}")


def exact(value: Order | Fill) -> str:
    """Return a model's canonical JSON: decimals keep their scale, times their microseconds."""
    return value.model_dump_json()


def assert_replay_matches(store: Store, accounts: set[str], after: int = 0) -> int:
    """Assert that replaying the journal rebuilds every order and fill; return the count.

    With ``after``, replay only the entries after that sequence number: enough for orders
    recorded after it, and constant work per check in a long-lived store.
    """
    replayed = replay(Journal(store).entries(after))
    if after == 0:
        ledger = Ledger(store, ManualClock(T0))
        stored = {r.order_id for account in accounts for r in ledger.load_all(account)}
        assert set(replayed) == stored
    for order_id, history in replayed.items():
        record = store.get_order(history.record.account, order_id)
        assert record is not None
        assert history.record == record
        assert exact(history.record.order) == exact(record.order)
        fills = store.fills(record.account, order_id)
        assert [exact(f) for f in history.fills] == [exact(f) for f in fills]
        assert record.filled_quantity == sum((f.quantity for f in fills), Decimal(0))
    return len(replayed)


def journal_shape(entries: Iterable[JournalEntry]) -> list[EntryShape]:
    """Return ``entries`` with every id (orders, groups, plans, client and venue order ids,
    fills, trades) named by its order of first appearance and every account left out.

    Ids are the one thing two runs of the same seeded replay draw afresh (a process's id
    counter and a venue session's numbering start anywhere), so two such runs, in one
    account or two, give equal shapes; a prefix of one shape is what a run stopped early
    committed.
    """
    names: dict[str, str] = {}

    def name(value: str | None) -> str | None:
        if value is None:
            return None
        return names.setdefault(value, f"#{len(names)}")

    def scrub(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                key: name(item) if key in _ID_KEYS and isinstance(item, str) else scrub(item)
                for key, item in value.items()
                if key != "account"
            }
        if isinstance(value, list | tuple):
            return [scrub(item) for item in value]
        return value

    def cause(value: str | None) -> str | None:
        if value is None:
            return None
        head, sep, tail = value.partition(":")
        return f"{head}{sep}{name(tail)}" if _GENERATED.fullmatch(tail) else value

    return [
        (
            entry.at,
            entry.kind.value,
            name(entry.order_id),
            name(entry.group_id),
            cause(entry.causation_id),
            cause(entry.correlation_id),
            scrub(entry.payload),
        )
        for entry in entries
    ]
