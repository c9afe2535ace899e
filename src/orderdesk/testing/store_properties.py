"""The Store contract's properties: hypothesis drives random orders, fills and histories
through a store and checks them value for value (see :mod:`orderdesk.testing.store_contract`).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderdesk.clocks import ManualClock
from orderdesk.errors import AckConflict, ContradictedRejection, InvalidTransition, Overfill
from orderdesk.ledger import Ledger
from orderdesk.model.enums import OrderStatus
from orderdesk.model.events import Filled, Rejected
from orderdesk.model.fill import Fill
from orderdesk.model.records import SubmitState
from orderdesk.ports import Store
from orderdesk.testing import strategies
from orderdesk.testing.assertions import assert_replay_matches, exact
from orderdesk.testing.ledger_kit import T0, make_group, recorded_order

__all__ = ["StoreProperties"]

# One store serves every example of a test (ids are fresh per example), and each subclass
# runs the same test methods against its own store.
_REUSE_STORE = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    deadline=None,  # each example is database round trips: a busy server is slow, not wrong
)


class StoreProperties:
    """Property tests every Store passes; subclasses provide the ``store`` fixture."""

    @_REUSE_STORE
    @given(data=st.data())
    def test_orders_and_fills_round_trip_bit_for_bit(
        self, store: Store, data: st.DataObject
    ) -> None:
        ledger = Ledger(store, ManualClock(T0))
        group = ledger.record_group(make_group())
        order = data.draw(strategies.orders(group.group_id))
        client_id = data.draw(strategies.injection_text())[:24] + order.order_id
        venue = data.draw(strategies.injection_text())
        record = ledger.record_order("acct-1", order, venue=venue, client_order_id=client_id)
        trade_id = data.draw(strategies.injection_text()) + order.order_id  # unique per example
        fill = data.draw(strategies.fills_of(order, order.quantity, trade_id))
        ledger.apply("acct-1", order.order_id, Filled(fill))
        read = ledger.get("acct-1", order.order_id)
        assert (read.venue, read.client_order_id) == (venue, client_id)
        assert exact(read.order) == exact(record.order.model_copy(update={
            "status": OrderStatus.FILLED, "updated_at": max(order.updated_at, fill.executed_at)
        }))  # fmt: skip
        assert [exact(f) for f in ledger.fills("acct-1", order.order_id)] == [exact(fill)]

    @_REUSE_STORE
    @given(data=st.data())
    def test_injection_payloads_are_stored_verbatim(
        self, store: Store, data: st.DataObject
    ) -> None:
        ledger = Ledger(store, ManualClock(T0))
        reason = data.draw(strategies.injection_text())
        cause = data.draw(strategies.injection_text())
        record = recorded_order(ledger, venue=data.draw(strategies.injection_text()))
        ledger.apply("acct-1", record.order_id, Rejected(T0, reason, reason), causation_id=cause)
        entry = store.journal_of_order("acct-1", record.order_id)[-1]
        assert (entry.payload["reason"], entry.payload["code"], entry.causation_id) == (
            reason,
            reason,
            cause,
        )
        assert ledger.get("acct-1", record.order_id).venue == record.venue

    @_REUSE_STORE
    @given(data=st.data())
    def test_replaying_the_journal_rebuilds_the_ledger(
        self, store: Store, data: st.DataObject
    ) -> None:
        ledger = Ledger(store, ManualClock(T0))
        accounts = {"acct-1", "acct-2"}
        after: int | None = None
        for _ in range(data.draw(st.integers(1, 3))):
            account = data.draw(st.sampled_from(sorted(accounts)))
            record = recorded_order(ledger, account=account)
            if after is None:  # replay from this example's first order: earlier ones are done
                after = store.journal_of_order(account, record.order_id)[0].seq - 1
            trades: list[Fill] = []
            for _ in range(data.draw(st.integers(0, 8))):
                step = data.draw(st.sampled_from(["event", "event", "submit", "cancel"]))
                # A history may hold illegal steps: refusing them is part of what is tested.
                try:
                    if step == "submit":
                        state = data.draw(st.sampled_from(SubmitState))
                        ledger.set_submit_state(account, record.order_id, state)
                    elif step == "cancel":
                        ledger.request_cancel(account, record.order_id)
                    else:
                        event = data.draw(strategies.events(record.order, trades))
                        ledger.apply(account, record.order_id, event)
                except (InvalidTransition, Overfill, AckConflict, ContradictedRejection):
                    pass
        assert after is not None
        assert assert_replay_matches(store, accounts, after) >= 1
