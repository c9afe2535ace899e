"""Assertions the contract suites and proofs share: exact equality, journal replay."""

from __future__ import annotations

from decimal import Decimal

from orderdesk.clocks import ManualClock
from orderdesk.ledger import Journal, Ledger, replay
from orderdesk.model.fill import Fill
from orderdesk.model.order import Order
from orderdesk.ports import Store
from orderdesk.testing.ledger_kit import T0

__all__ = ["assert_replay_matches", "exact"]


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
