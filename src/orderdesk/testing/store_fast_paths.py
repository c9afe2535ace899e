"""The Store contract's fast paths: the Ledger's one-transaction writes and read-only
duplicate checks give exactly what the plain ones give (see
:mod:`orderdesk.testing.store_contract`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from orderdesk.errors import IntegrityAlarm, IntegrityError, InvalidTransition, NotFound, Overfill
from orderdesk.ledger import Ledger
from orderdesk.model.enums import OrderStatus, Side
from orderdesk.model.events import Acked, Cancelled, Filled, OrderEvent, Rejected
from orderdesk.model.records import JournalKind, OrderRecord, SubmitState
from orderdesk.ports import Batching, Store
from orderdesk.testing.assertions import assert_replay_matches, exact
from orderdesk.testing.ledger_kit import T0, fill_of, make_group, order_in_group, recorded_order

__all__ = ["StoreFastPaths"]

_LATER = T0 + timedelta(seconds=1)


class StoreFastPaths:
    """Fast-path tests every Store passes; subclasses provide ``store`` and ``ledger``."""

    def test_store_finds_a_fill_by_its_venue_trade(self, ledger: Ledger, store: Store) -> None:
        record = recorded_order(ledger)
        fill = fill_of(record.order, "0.5", "t-1")
        ledger.apply("acct-1", record.order_id, Filled(fill))
        found = store.fill_by_trade("acct-1", "paper", "BTC_USDT", Side.BUY, "t-1")
        assert found is not None
        assert exact(found) == exact(fill)
        assert store.fill_by_trade("acct-1", "paper", "BTC_USDT", Side.BUY, "t-2") is None
        assert store.fill_by_trade("acct-1", "other", "BTC_USDT", Side.BUY, "t-1") is None
        assert store.fill_by_trade("acct-1", "paper", "BTC_USDT", Side.SELL, "t-1") is None

    def test_apply_and_get_returns_what_get_returns_afterwards(self, ledger: Ledger) -> None:
        record = recorded_order(ledger)
        order_id = record.order_id
        events: list[OrderEvent] = [
            Acked(_LATER, "V-1"),
            Acked(_LATER, "V-1"),  # a repeat: nothing changes
            Filled(fill_of(record.order, "0.4", "t-1", "100.10")),
            Filled(fill_of(record.order, "0.6", "t-2", "100.20")),
            Cancelled(_LATER),  # after the fill: a no-op
        ]
        for event in events:
            applied = ledger.apply_and_get("acct-1", order_id, event)
            assert applied.record == ledger.get("acct-1", order_id)
        assert applied.record.version == 4

    def test_apply_and_get_decides_as_apply_does(self, ledger: Ledger, store: Store) -> None:
        plain, fast = recorded_order(ledger), recorded_order(ledger)
        for record in (plain, fast):
            ledger.apply("acct-1", record.order_id, Acked(_LATER, f"V-{record.order_id}"))
        for n, quantity in enumerate(("0.3", "0.7")):
            trade = f"{n}"
            made = ledger.apply(
                "acct-1", plain.order_id, Filled(fill_of(plain.order, quantity, f"p{trade}"))
            )
            applied = ledger.apply_and_get(
                "acct-1", fast.order_id, Filled(fill_of(fast.order, quantity, f"f{trade}"))
            )
            assert (applied.transition.kind, applied.transition.after) == (made.kind, made.after)
        one, two = ledger.get("acct-1", plain.order_id), ledger.get("acct-1", fast.order_id)
        assert (one.order.status, one.version, one.filled_quantity, one.fill_count) == (
            two.order.status,
            two.version,
            two.filled_quantity,
            two.fill_count,
        )

    def test_apply_all_journals_each_event_as_apply_would(
        self, ledger: Ledger, store: Store
    ) -> None:
        one, two = recorded_order(ledger), recorded_order(ledger)

        def reply(record_order_id: str, trade: str) -> list[OrderEvent]:
            order = ledger.get("acct-1", record_order_id).order
            return [
                Acked(_LATER, f"V-{trade}"),
                Filled(fill_of(order, "0.4", f"{trade}-1")),
                Filled(fill_of(order, "0.6", f"{trade}-2")),
            ]

        for event in reply(one.order_id, "a"):
            ledger.apply("acct-1", one.order_id, event, causation_id="c")
        outcomes = ledger.apply_all(
            "acct-1", two.order_id, reply(two.order_id, "b"), causation_id="c"
        )
        assert [o.transition.after for o in outcomes] == [
            OrderStatus.OPEN,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
        ]
        assert outcomes[-1].record == ledger.get("acct-1", two.order_id)
        assert [o.record.version for o in outcomes] == [2, 3, 4]
        plain = store.journal_of_order("acct-1", one.order_id)
        batched = store.journal_of_order("acct-1", two.order_id)
        assert (
            [e.kind for e in batched]
            == [e.kind for e in plain]
            == [
                JournalKind.ORDER_RECORDED,
                JournalKind.ACKED,
                JournalKind.FILLED,
                JournalKind.FILLED,
            ]
        )
        a, b = ledger.get("acct-1", one.order_id), ledger.get("acct-1", two.order_id)
        assert (a.order.status, a.version, a.filled_quantity, a.notional, a.fill_count) == (
            b.order.status,
            b.version,
            b.filled_quantity,
            b.notional,
            b.fill_count,
        )
        assert assert_replay_matches(store, {"acct-1"}) == 2

    def test_apply_all_is_all_or_nothing(self, ledger: Ledger, store: Store) -> None:
        record = recorded_order(ledger)
        before = ledger.get("acct-1", record.order_id)
        journal = store.journal_of_order("acct-1", record.order_id)
        events: list[OrderEvent] = [
            Acked(_LATER, "V-1"),
            Filled(fill_of(record.order, "1.0", "t-1")),
            Filled(fill_of(record.order, "0.1", "t-2")),  # past the quantity
        ]
        with pytest.raises(Overfill):
            ledger.apply_all("acct-1", record.order_id, events)
        with pytest.raises(InvalidTransition):
            ledger.apply_all(
                "acct-1", record.order_id, [Rejected(_LATER, "no"), Acked(_LATER, "V-1")]
            )
        assert ledger.get("acct-1", record.order_id) == before
        assert store.journal_of_order("acct-1", record.order_id) == journal
        assert ledger.fills("acct-1", record.order_id) == ()
        assert store.fill_by_trade("acct-1", "paper", "BTC_USDT", Side.BUY, "t-1") is None

    def test_a_repeated_ack_or_trade_is_a_duplicate(self, ledger: Ledger) -> None:
        record = recorded_order(ledger)
        order_id = record.order_id
        ack = Acked(_LATER, "V-1")
        fill = fill_of(record.order, "0.5", "t-1")
        assert not ledger.is_duplicate(ledger.get("acct-1", order_id), ack)
        ledger.apply("acct-1", order_id, ack)
        assert not ledger.is_duplicate(ledger.get("acct-1", order_id), Filled(fill))
        ledger.apply("acct-1", order_id, Filled(fill))
        now = ledger.get("acct-1", order_id)
        assert ledger.is_duplicate(now, ack)
        assert ledger.is_duplicate(now, Acked(_LATER, None))
        assert ledger.is_duplicate(now, Filled(fill.model_copy(update={"fill_id": _other_id()})))

    def test_news_conflicts_and_ends_are_never_duplicates(self, ledger: Ledger) -> None:
        record = recorded_order(ledger)
        order_id = record.order_id
        ledger.apply("acct-1", order_id, Acked(_LATER, "V-1"))
        ledger.apply("acct-1", order_id, Filled(fill_of(record.order, "0.5", "t-1")))
        now = ledger.get("acct-1", order_id)
        assert not ledger.is_duplicate(now, Acked(_LATER, "V-2"))  # an ack conflict
        assert not ledger.is_duplicate(now, Filled(fill_of(record.order, "0.4", "t-1")))
        assert not ledger.is_duplicate(now, Filled(fill_of(record.order, "0.5", "t-2")))
        assert not ledger.is_duplicate(now, Cancelled(_LATER))
        assert not ledger.is_duplicate(now, Rejected(_LATER, "no"))
        other = recorded_order(ledger)
        ledger.apply("acct-1", other.order_id, Acked(_LATER, "V-9"))
        theirs = fill_of(ledger.get("acct-1", other.order_id).order, "0.5", "t-1")
        assert not ledger.is_duplicate(ledger.get("acct-1", other.order_id), Filled(theirs))

    def test_an_order_records_its_missing_group_in_its_own_transaction(
        self, ledger: Ledger, store: Store
    ) -> None:
        group = make_group()
        order = order_in_group(group)
        record = ledger.record_order(
            "acct-1", order, venue="paper", client_order_id="g-1", group=group
        )
        assert record == ledger.get("acct-1", order.order_id)
        stored = ledger.get_group("acct-1", group.group_id)
        assert stored.order_ids == (order.order_id,)
        kinds = [e.kind for e in store.journal()]
        assert kinds == [JournalKind.GROUP_RECORDED, JournalKind.ORDER_RECORDED]
        second = order_in_group(group)  # the group is there now: not recorded again
        ledger.record_order("acct-1", second, venue="paper", client_order_id="g-2", group=group)
        assert [e.kind for e in store.journal()][2:] == [JournalKind.ORDER_RECORDED]

    def test_a_refused_order_leaves_its_given_group_unrecorded(
        self, ledger: Ledger, store: Store
    ) -> None:
        first = make_group()
        ledger.record_order(
            "acct-1", order_in_group(first), venue="paper", client_order_id="same", group=first
        )
        group = make_group()
        order = order_in_group(group)
        with pytest.raises(IntegrityError):
            ledger.record_order("acct-1", order, venue="paper", client_order_id="same", group=group)
        assert store.get_group("acct-1", group.group_id) is None
        with pytest.raises(NotFound):  # nor remembered as recorded
            ledger.record_order("acct-1", order, venue="paper", client_order_id="c")

    def test_a_given_group_must_be_the_orders_own(self, ledger: Ledger) -> None:
        group = make_group()
        with pytest.raises(ValueError, match="parent group"):
            ledger.record_order(
                "acct-1", order_in_group(group), venue="paper", client_order_id="c",
                group=make_group(),
            )  # fmt: skip
        with pytest.raises(ValueError, match="parent group"):
            ledger.record_order(
                "acct-2", order_in_group(group), venue="paper", client_order_id="c",
                group=group,
            )  # fmt: skip

    def test_a_write_on_a_held_record_reads_nothing_and_gives_what_get_gives(
        self, ledger: Ledger, store: Store
    ) -> None:
        held = recorded_order(ledger)
        events: list[OrderEvent] = [
            Acked(_LATER, "V-1"),
            Filled(fill_of(held.order, "0.4", "t-1", "100.10")),
            Filled(fill_of(held.order, "0.6", "t-2", "100.20")),
        ]
        for event in events:
            applied = ledger.apply_and_get("acct-1", held.order_id, event, held=held)
            assert applied.record == ledger.get("acct-1", held.order_id)
            held = applied.record
        assert (held.order.status, held.version, held.fill_count) == (OrderStatus.FILLED, 4, 2)
        assert ledger.retries == 0
        kinds = [e.kind for e in store.journal_of_order("acct-1", held.order_id)]
        assert kinds == [JournalKind.ORDER_RECORDED, JournalKind.ACKED] + [JournalKind.FILLED] * 2

    def test_a_stale_held_record_is_read_again_and_nothing_is_lost(
        self, ledger: Ledger, store: Store
    ) -> None:
        stale = recorded_order(ledger)
        ledger.apply("acct-1", stale.order_id, Filled(fill_of(stale.order, "0.6", "t-1")))
        # Decided on the stale record this fill fits; on the stored one it overfills.
        with pytest.raises(Overfill):
            ledger.apply(
                "acct-1", stale.order_id, Filled(fill_of(stale.order, "0.6", "t-2")), held=stale
            )
        fresh = ledger.apply_and_get(
            "acct-1", stale.order_id, Filled(fill_of(stale.order, "0.4", "t-3")), held=stale
        ).record
        assert (fresh.order.status, fresh.filled_quantity, fresh.version) == (
            OrderStatus.FILLED, Decimal("1.0"), 3,
        )  # fmt: skip
        assert [f.trade_id for f in store.fills("acct-1", stale.order_id)] == ["t-1", "t-3"]

    def test_a_no_op_on_a_stale_held_record_is_decided_on_the_stored_one(
        self, ledger: Ledger, store: Store
    ) -> None:
        stale = recorded_order(ledger)
        ledger.apply("acct-1", stale.order_id, Rejected(_LATER, "no funds"))
        # A venue ack of an order recorded REJECTED is an alarm, not the no-op the stale
        # (PENDING) record would make of a second ack.
        with pytest.raises(IntegrityAlarm):
            ledger.apply("acct-1", stale.order_id, Acked(_LATER, "V-1"), held=stale)
        state = ledger.set_submit_state("acct-1", stale.order_id, SubmitState.NOT_SENT, held=stale)
        assert state == ledger.get("acct-1", stale.order_id)
        cancelled = ledger.request_cancel("acct-1", stale.order_id, held=stale)
        assert cancelled.cancel_requested_at is None  # it has finished: nothing to cancel
        assert cancelled == ledger.get("acct-1", stale.order_id)

    def test_a_held_record_of_another_order_is_refused(self, ledger: Ledger) -> None:
        one, other = recorded_order(ledger), recorded_order(ledger)
        with pytest.raises(ValueError, match="held record"):
            ledger.apply("acct-1", one.order_id, Acked(_LATER, "V-1"), held=other)

    def test_record_sending_commits_the_intent_and_its_sent_state_together(
        self, ledger: Ledger, store: Store
    ) -> None:
        group = ledger.record_group(make_group())
        order = order_in_group(group)
        recorded, sent = ledger.record_sending(
            "acct-1", order, venue="paper", client_order_id="c-sending"
        )
        assert (recorded.submit_state, recorded.version, recorded.sent_at) == (
            SubmitState.NOT_SENT, 1, None,
        )  # fmt: skip
        assert (sent.submit_state, sent.version, sent.sent_at) == (SubmitState.SENT, 2, T0)
        assert sent == ledger.get("acct-1", order.order_id)
        entries = store.journal_of_order("acct-1", order.order_id)
        assert [e.kind for e in entries] == [JournalKind.ORDER_RECORDED, JournalKind.SUBMIT_STATE]
        assert entries[1].payload == {"state": "SENT", "at": "2025-12-01T15:00:00Z"}
        with pytest.raises(IntegrityError):  # the client id is taken: nothing more is written
            ledger.record_sending(
                "acct-1", order_in_group(group), venue="paper", client_order_id="c-sending"
            )
        assert len(store.journal_of_order("acct-1", order.order_id)) == 2

    def test_a_batch_commits_its_changes_together_and_an_error_undoes_them_all(
        self, ledger: Ledger, store: Store
    ) -> None:
        kept = recorded_order(ledger)
        with ledger.batch():
            inside = recorded_order(ledger)
            ledger.apply("acct-1", kept.order_id, Acked(_LATER, "V-1"))
            with ledger.batch():  # a batch inside a batch is part of it
                ledger.apply("acct-1", inside.order_id, Acked(_LATER, "V-2"))
            assert ledger.get("acct-1", inside.order_id).order.status is OrderStatus.OPEN
        assert ledger.get("acct-1", kept.order_id).order.status is OrderStatus.OPEN
        assert ledger.get("acct-1", inside.order_id).version == 2
        entries = len(store.journal(0, 10_000))
        made: list[OrderRecord] = []

        def failing_step() -> None:
            with ledger.batch():
                made.append(recorded_order(ledger))
                ledger.apply("acct-1", kept.order_id, Filled(fill_of(kept.order, "1.0", "t-1")))
                raise RuntimeError("the step failed")

        with pytest.raises(RuntimeError, match="the step failed"):
            failing_step()
        lost = made[0]
        if isinstance(store, Batching):
            assert store.get_order("acct-1", lost.order_id) is None
            assert ledger.get("acct-1", kept.order_id).order.status is OrderStatus.OPEN
            assert store.fills("acct-1", kept.order_id) == ()
            assert len(store.journal(0, 10_000)) == entries
        # and the ledger goes on as before, recording the group it forgot
        again = recorded_order(ledger)
        assert ledger.get("acct-1", again.order_id).version == 1

    def test_a_failed_change_inside_a_batch_is_undone_alone(
        self, ledger: Ledger, store: Store
    ) -> None:
        record = recorded_order(ledger)
        with ledger.batch():
            ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "0.6", "t-1")))
            with pytest.raises(Overfill):
                ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "0.6", "t-2")))
            ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "0.4", "t-3")))
        final = ledger.get("acct-1", record.order_id)
        assert (final.order.status, final.filled_quantity) == (OrderStatus.FILLED, Decimal("1.0"))
        assert [f.trade_id for f in store.fills("acct-1", record.order_id)] == ["t-1", "t-3"]
        kinds = [e.kind for e in store.journal_of_order("acct-1", record.order_id)]
        assert kinds.count(JournalKind.ALARM) == 1  # the overfill is journaled, once


def _other_id() -> str:
    return "FIL_20251201_150001_00000099"
