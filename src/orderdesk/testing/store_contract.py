"""The Store contract: every Store implementation passes this one suite.

Subclass :class:`StoreContract` in a test module and provide a ``store`` fixture that
yields an empty, open store, and a ``schema_versions`` fixture that reads the schema version
the store's storage records (beside the latest version its migrations reach)::

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self) -> Iterator[Store]:
            ...

        @pytest.fixture
        def schema_versions(self, store: Store) -> tuple[int, int]:
            ...

The suite drives the store through the :class:`~orderdesk.ledger.Ledger` (its only
writer) and through the port directly, and checks the results value for value.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from orderdesk.clocks import ManualClock
from orderdesk.errors import (
    ConcurrentUpdate,
    FillConflict,
    IntegrityError,
    InvalidTransition,
    NotFound,
    Overfill,
)
from orderdesk.ledger import Journal, Ledger
from orderdesk.model.decimals import decimal_text
from orderdesk.model.enums import OrderStatus, Side
from orderdesk.model.events import Acked, Cancelled, Filled, Rejected
from orderdesk.model.execution_totals import ExecutionTotals, totals_of_rows
from orderdesk.model.plans import ExecutionGroup
from orderdesk.model.records import JournalKind, NewEntry, SubmitState
from orderdesk.ports import ExecutionRows, OrderQuery, Store
from orderdesk.testing.assertions import assert_replay_matches, exact
from orderdesk.testing.ledger_kit import (
    T0,
    fill_of,
    make_group,
    make_plan,
    order_in_group,
    recorded_order,
)
from orderdesk.testing.store_fast_paths import StoreFastPaths
from orderdesk.testing.store_properties import StoreProperties

__all__ = ["StoreContract"]


class StoreContract(StoreProperties, StoreFastPaths):
    """The behaviour every Store must show. Subclasses provide the ``store`` fixture."""

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("a StoreContract subclass provides the store fixture")

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(T0)

    @pytest.fixture
    def ledger(self, store: Store, clock: ManualClock) -> Ledger:
        return Ledger(store, clock)

    # --- recording and reading ----------------------------------------------------------

    @pytest.fixture
    def schema_versions(self, store: Store) -> tuple[int, int]:
        """(the version the store's own storage records, the latest its migrations reach):
        a subclass reads the first where the store keeps it, not through the store."""
        raise NotImplementedError("a StoreContract subclass provides schema_versions")

    def test_schema_is_at_the_latest_version(
        self, store: Store, schema_versions: tuple[int, int]
    ) -> None:
        stored, latest = schema_versions
        assert (store.schema_version, stored) == (latest, latest)

    def test_recorded_order_reads_back_pending_and_not_sent(self, ledger: Ledger) -> None:
        record = recorded_order(ledger, arrival_price="99.50")
        read = ledger.get("acct-1", record.order_id)
        assert read == record
        assert read.order.status is OrderStatus.PENDING
        assert read.submit_state is SubmitState.NOT_SENT
        assert read.version == 1
        assert decimal_text(read.arrival_price or Decimal(0)) == "99.50"

    def test_recording_writes_order_and_journal_entry_together(
        self, ledger: Ledger, store: Store
    ) -> None:
        record = recorded_order(ledger)
        entries = store.journal_of_order("acct-1", record.order_id)
        assert [e.kind for e in entries] == [JournalKind.ORDER_RECORDED]
        assert entries[0].group_id == record.order.parent_group_id
        assert entries[0].plan_id == record.plan_id

    def test_client_order_id_is_unique_per_venue(self, ledger: Ledger, store: Store) -> None:
        group = ledger.record_group(make_group())
        first = order_in_group(group)
        ledger.record_order("acct-1", first, venue="paper", client_order_id="same")
        second = order_in_group(group)
        with pytest.raises(IntegrityError):
            ledger.record_order("acct-1", second, venue="paper", client_order_id="same")
        assert store.get_order("acct-1", second.order_id) is None
        third = ledger.record_order("acct-1", second, venue="other", client_order_id="same")
        assert ledger.get_by_client_order_id("acct-1", "other", "same") == third

    def test_order_in_an_unrecorded_group_is_refused(self, ledger: Ledger) -> None:
        order = order_in_group(make_group())
        with pytest.raises(NotFound):
            ledger.record_order("acct-1", order, venue="paper", client_order_id="c")

    def test_order_in_another_accounts_group_is_refused(self, ledger: Ledger) -> None:
        group = ledger.record_group(make_group("acct-2"))
        with pytest.raises(NotFound):
            ledger.record_order("acct-1", order_in_group(group), venue="paper", client_order_id="c")

    def test_lookup_by_client_and_venue_order_id(self, ledger: Ledger) -> None:
        record = recorded_order(ledger)
        ledger.apply("acct-1", record.order_id, Acked(T0, "VENUE-7"))
        by_client = ledger.get_by_client_order_id("acct-1", "paper", record.client_order_id)
        by_venue = ledger.get_by_venue_order_id("acct-1", "paper", "VENUE-7")
        assert by_client.order_id == by_venue.order_id == record.order_id
        assert by_venue.order.connector_order_id == "VENUE-7"

    # --- account scoping ----------------------------------------------------------------

    def test_another_accounts_order_is_not_found_anywhere(
        self, ledger: Ledger, store: Store
    ) -> None:
        record = recorded_order(ledger, account="owner")
        ledger.apply("owner", record.order_id, Acked(T0, "V-9"))
        fill = fill_of(record.order, "0.5", "t-1")
        ledger.apply("owner", record.order_id, Filled(fill))
        with pytest.raises(NotFound):
            ledger.get("intruder", record.order_id)
        with pytest.raises(NotFound):
            ledger.get_by_client_order_id("intruder", "paper", record.client_order_id)
        with pytest.raises(NotFound):
            ledger.get_by_venue_order_id("intruder", "paper", "V-9")
        with pytest.raises(NotFound):
            ledger.fills("intruder", record.order_id)
        with pytest.raises(NotFound):
            ledger.apply("intruder", record.order_id, Cancelled(T0))
        with pytest.raises(NotFound):
            ledger.get_group("intruder", record.order.parent_group_id)
        with pytest.raises(NotFound):
            ledger.get_plan("intruder", record.plan_id or "")
        with pytest.raises(NotFound):
            Journal(store).trace("intruder", record.order_id)
        assert store.fills("intruder", record.order_id) == ()
        assert store.journal_of_order("intruder", record.order_id) == ()
        assert ledger.load("intruder").records == ()
        assert ledger.get("owner", record.order_id).order.status is OrderStatus.PARTIALLY_FILLED

    # --- events -------------------------------------------------------------------------

    def test_ack_then_fills_walk_the_lifecycle(self, ledger: Ledger) -> None:
        record = recorded_order(ledger)
        order_id = record.order_id
        acked = ledger.apply("acct-1", order_id, Acked(T0 + timedelta(seconds=1), "V-1"))
        first = fill_of(record.order, "0.4", "t-1", "100.10")
        partial = ledger.apply("acct-1", order_id, Filled(first))
        last = fill_of(record.order, "0.6", "t-2", "100.20")
        done = ledger.apply("acct-1", order_id, Filled(last))
        assert (acked.after, partial.after, done.after) == (
            OrderStatus.OPEN,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
        )
        final = ledger.get("acct-1", order_id)
        assert final.order.status is OrderStatus.FILLED
        assert final.version == 4
        assert decimal_text(final.filled_quantity) == "1.0"
        assert decimal_text(final.notional) == "100.160"
        assert final.fill_count == 2
        assert final.submit_state is SubmitState.ACKED
        assert final.completed_at == last.executed_at
        assert [exact(f) for f in ledger.fills("acct-1", order_id)] == [exact(first), exact(last)]

    def test_fills_reported_out_of_order_keep_the_earliest_and_latest_times(
        self, ledger: Ledger
    ) -> None:
        record = recorded_order(ledger, quantity="1.5")
        times = [T0 + timedelta(seconds=s) for s in (5, 2, 9)]
        for number, at in enumerate(times):
            fill = fill_of(record.order, "0.5", f"t-{number}", at=at)
            ledger.apply("acct-1", record.order_id, Filled(fill))

        final = ledger.get("acct-1", record.order_id)

        assert final.order.status is OrderStatus.FILLED
        assert (final.first_fill_at, final.last_fill_at) == (times[1], times[2])
        assert final.completed_at == times[2]

    def test_repeated_fill_is_a_journaled_no_op(self, ledger: Ledger, store: Store) -> None:
        record = recorded_order(ledger)
        fill = fill_of(record.order, "0.5", "t-1")
        ledger.apply("acct-1", record.order_id, Filled(fill))
        before = ledger.get("acct-1", record.order_id)
        again = fill.model_copy(update={"fill_id": "FIL_20251201_150001_00000001"})
        transition = ledger.apply("acct-1", record.order_id, Filled(again))
        assert transition.duplicate is True
        assert ledger.get("acct-1", record.order_id) == before
        assert len(ledger.fills("acct-1", record.order_id)) == 1
        kinds = [e.kind for e in store.journal_of_order("acct-1", record.order_id)]
        assert kinds == [JournalKind.ORDER_RECORDED, JournalKind.FILLED, JournalKind.FILLED]

    def test_repeated_trade_with_other_quantity_is_a_fill_conflict(self, ledger: Ledger) -> None:
        record = recorded_order(ledger)
        ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "0.5", "t-1")))
        before = ledger.get("acct-1", record.order_id)
        with pytest.raises(FillConflict):
            ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "0.4", "t-1")))
        changed_price = fill_of(record.order, "0.5", "t-1", price="100.01")
        with pytest.raises(FillConflict):
            ledger.apply("acct-1", record.order_id, Filled(changed_price))
        assert ledger.get("acct-1", record.order_id) == before

    def test_trade_recorded_on_another_order_is_a_fill_conflict(self, ledger: Ledger) -> None:
        one = recorded_order(ledger, side="SELL")
        two = recorded_order(ledger, side="SELL")
        ledger.apply("acct-1", one.order_id, Filled(fill_of(one.order, "0.5", "t-1")))
        with pytest.raises(FillConflict):
            ledger.apply("acct-1", two.order_id, Filled(fill_of(two.order, "0.5", "t-1")))
        assert ledger.fills("acct-1", two.order_id) == ()

    def test_a_self_trade_fills_the_buy_and_the_sell_under_one_trade_id(
        self, ledger: Ledger, store: Store
    ) -> None:
        buy = recorded_order(ledger, side="BUY", quantity="0.5")
        sell = recorded_order(ledger, side="SELL", quantity="0.5")
        bought, sold = fill_of(buy.order, "0.5", "t-self"), fill_of(sell.order, "0.5", "t-self")
        ledger.apply("acct-1", buy.order_id, Filled(bought))
        ledger.apply("acct-1", sell.order_id, Filled(sold))
        assert ledger.get("acct-1", buy.order_id).order.status is OrderStatus.FILLED
        assert ledger.get("acct-1", sell.order_id).order.status is OrderStatus.FILLED
        assert [exact(fill) for fill in ledger.fills("acct-1", sell.order_id)] == [exact(sold)]
        found = store.fill_by_trade("acct-1", "paper", "BTC_USDT", Side.SELL, "t-self")
        assert found is not None
        assert found.order_id == sell.order_id
        # Each side's report repeated is a duplicate of its own fill, nothing more.
        assert ledger.is_duplicate(ledger.get("acct-1", buy.order_id), Filled(bought))
        assert ledger.is_duplicate(ledger.get("acct-1", sell.order_id), Filled(sold))
        third = recorded_order(ledger, side="SELL", quantity="0.5")
        with pytest.raises(FillConflict):
            ledger.apply("acct-1", third.order_id, Filled(fill_of(third.order, "0.5", "t-self")))
        assert assert_replay_matches(store, {"acct-1"}) == 3

    def test_same_trade_id_on_another_venue_is_a_different_trade(self, ledger: Ledger) -> None:
        one = recorded_order(ledger, venue="venue-a")
        two = recorded_order(ledger, venue="venue-b")
        ledger.apply("acct-1", one.order_id, Filled(fill_of(one.order, "0.5", "t-1")))
        transition = ledger.apply("acct-1", two.order_id, Filled(fill_of(two.order, "0.5", "t-1")))
        assert transition.fill is not None
        assert len(ledger.fills("acct-1", two.order_id)) == 1

    def test_illegal_event_raises_and_records_nothing(self, ledger: Ledger, store: Store) -> None:
        record = recorded_order(ledger)
        ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "0.5", "t-1")))
        before = ledger.get("acct-1", record.order_id)
        journal_before = store.journal_of_order("acct-1", record.order_id)
        with pytest.raises(InvalidTransition):
            ledger.apply("acct-1", record.order_id, Rejected(T0, "no"))
        assert store.journal_of_order("acct-1", record.order_id) == journal_before
        overfill = fill_of(record.order, "0.6", "t-2")
        with pytest.raises(Overfill) as alarm:
            ledger.apply("acct-1", record.order_id, Filled(overfill), causation_id="report:9")
        assert ledger.get("acct-1", record.order_id) == before
        # An alarm changes nothing but is never silent: the order's journal says so.
        *same, entry = store.journal_of_order("acct-1", record.order_id)
        assert tuple(same) == journal_before
        assert (entry.kind, entry.causation_id) == (JournalKind.ALARM, "report:9")
        assert entry.payload == {
            "alarm": "Overfill",
            "message": str(alarm.value),
            "event": "filled",
            "fill": overfill.model_dump(mode="json"),
        }
        assert assert_replay_matches(store, {"acct-1"}) == 1

    def test_late_fill_after_cancel_is_recorded_and_status_kept(self, ledger: Ledger) -> None:
        record = recorded_order(ledger)
        ledger.apply("acct-1", record.order_id, Cancelled(T0 + timedelta(seconds=1)))
        late = fill_of(record.order, "0.5", "t-1", at=T0 + timedelta(seconds=2))
        transition = ledger.apply("acct-1", record.order_id, Filled(late))
        assert (transition.before, transition.after) == (
            OrderStatus.CANCELLED,
            OrderStatus.CANCELLED,
        )
        assert [f.trade_id for f in ledger.fills("acct-1", record.order_id)] == ["t-1"]

    def test_submit_state_moves_beside_the_status(self, ledger: Ledger, clock: ManualClock) -> None:
        record = recorded_order(ledger)
        clock.advance(timedelta(seconds=1))
        sent = ledger.set_submit_state("acct-1", record.order_id, SubmitState.SENT)
        again = ledger.set_submit_state("acct-1", record.order_id, SubmitState.SENT)
        doubt = ledger.set_submit_state("acct-1", record.order_id, SubmitState.IN_DOUBT)
        assert (sent.submit_state, sent.sent_at, sent.version) == (
            SubmitState.SENT,
            T0 + timedelta(seconds=1),
            2,
        )
        assert again == sent
        assert doubt.submit_state is SubmitState.IN_DOUBT
        assert doubt.order.status is OrderStatus.PENDING
        ledger.apply("acct-1", record.order_id, Acked(T0 + timedelta(seconds=3)))
        acked = ledger.get("acct-1", record.order_id)
        assert acked.submit_state is SubmitState.ACKED
        journal = ledger.store.journal_of_order("acct-1", record.order_id)
        # A slower task's stale move (SENT after the ack) changes nothing and says so by
        # returning the order as it stands.
        for stale in (SubmitState.SENT, SubmitState.IN_DOUBT, SubmitState.NOT_SENT):
            assert ledger.set_submit_state("acct-1", record.order_id, stale) == acked
        assert ledger.store.journal_of_order("acct-1", record.order_id) == journal

    def test_one_resend_claim_wins_and_a_stale_one_or_a_cancel_gets_none(
        self, ledger: Ledger, clock: ManualClock
    ) -> None:
        record = recorded_order(ledger)
        account, order_id = "acct-1", record.order_id
        ledger.set_submit_state(account, order_id, SubmitState.SENT)
        doubt = ledger.set_submit_state(account, order_id, SubmitState.IN_DOUBT)
        clock.advance(timedelta(seconds=130))
        first = ledger.claim_resend(account, order_id, expected_version=doubt.version)
        second = ledger.claim_resend(account, order_id, expected_version=doubt.version)
        assert first is not None
        assert (first.submit_state, first.version, first.sent_at) == (
            SubmitState.SENT, doubt.version + 1, T0,
        )  # fmt: skip
        assert second is None  # the other resolver read the same version: it only observes
        assert ledger.last_sent_at(account, order_id) == T0 + timedelta(seconds=130)
        # A send gone stale (its resolver died) may be claimed again, from SENT.
        clock.advance(timedelta(seconds=130))
        again = ledger.claim_resend(account, order_id, expected_version=first.version)
        assert again is not None
        assert again.version == first.version + 1
        assert ledger.last_sent_at(account, order_id) == T0 + timedelta(seconds=260)
        ledger.request_cancel(account, order_id)
        cancelled = ledger.get(account, order_id)
        assert ledger.claim_resend(account, order_id, expected_version=cancelled.version) is None
        ledger.apply(account, order_id, Acked(T0 + timedelta(seconds=261), "V-1"))
        acked = ledger.get(account, order_id)
        assert ledger.claim_resend(account, order_id, expected_version=acked.version) is None
        assert assert_replay_matches(ledger.store, {account}) == 1

    def test_cancel_request_is_recorded_once(self, ledger: Ledger, clock: ManualClock) -> None:
        record = recorded_order(ledger)
        clock.advance(timedelta(seconds=5))
        first = ledger.request_cancel("acct-1", record.order_id)
        clock.advance(timedelta(seconds=5))
        second = ledger.request_cancel("acct-1", record.order_id)
        assert first.cancel_requested_at == T0 + timedelta(seconds=5)
        assert second == first
        assert first.order.status is OrderStatus.PENDING

    # --- the port directly --------------------------------------------------------------

    def test_stale_version_update_is_refused_and_changes_nothing(
        self, ledger: Ledger, store: Store
    ) -> None:
        record = recorded_order(ledger)
        ledger.request_cancel("acct-1", record.order_id)
        current = ledger.get("acct-1", record.order_id)
        stale = replace(record, version=2, venue="stale")
        with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
            tx.update_order(stale, 1)
        assert ledger.get("acct-1", record.order_id) == current

    def test_failed_transaction_leaves_nothing_behind(self, ledger: Ledger, store: Store) -> None:
        group = ledger.record_group(make_group())
        journal_before = store.journal(0, 10_000)
        with pytest.raises(IntegrityError):
            _record_twice(store, group)
        assert store.journal(0, 10_000) == journal_before

    def test_two_accounts_each_keep_their_fill_of_one_venue_trade_id(
        self, ledger: Ledger, store: Store
    ) -> None:
        # Two accounts on one venue see one trade id (they met in a trade, or two runs of
        # a paper venue numbered their trades alike): each is its own account's fill.
        mine = recorded_order(ledger, "acct-1", side="SELL", quantity="0.5")
        theirs = recorded_order(ledger, "acct-2", side="SELL", quantity="0.5")
        my_fill = fill_of(mine.order, "0.5", "t-1")
        their_fill = fill_of(theirs.order, "0.5", "t-1", price="100.01")
        ledger.apply("acct-1", mine.order_id, Filled(my_fill))
        ledger.apply("acct-2", theirs.order_id, Filled(their_fill))
        assert ledger.get("acct-1", mine.order_id).order.status is OrderStatus.FILLED
        assert ledger.get("acct-2", theirs.order_id).order.status is OrderStatus.FILLED
        assert [exact(f) for f in ledger.fills("acct-2", theirs.order_id)] == [exact(their_fill)]
        found = store.fill_by_trade("acct-2", "paper", "BTC_USDT", Side.SELL, "t-1")
        assert found is not None
        assert found.order_id == theirs.order_id
        assert ledger.is_duplicate(ledger.get("acct-2", theirs.order_id), Filled(their_fill))
        assert store.fill_by_trade("acct-3", "paper", "BTC_USDT", Side.SELL, "t-1") is None
        assert assert_replay_matches(store, {"acct-1", "acct-2"}) == 2

    def test_two_accounts_may_each_use_one_client_order_id_group_and_plan_id(
        self, ledger: Ledger, store: Store
    ) -> None:
        plan_id, group_id = "TPL_20251201_150000_shared01", "EXG_20251201_150000_shared01"
        for account, order_id in (
            ("acct-1", "ORD_20251201_150000_000000a1"),
            ("acct-2", "ORD_20251201_150000_000000a2"),
        ):
            plan = ledger.record_plan(make_plan(account, plan_id=plan_id))
            group = ledger.record_group(make_group(account, plan, group_id=group_id))
            order = order_in_group(group, order_id=order_id)
            ledger.record_order(account, order, venue="paper", client_order_id="web-7")
            ledger.apply(account, order_id, Acked(T0 + timedelta(seconds=1), "V-1"))
        for account, order_id in (
            ("acct-1", "ORD_20251201_150000_000000a1"),
            ("acct-2", "ORD_20251201_150000_000000a2"),
        ):
            by_client = store.find_by_client_order_id(account, "paper", "web-7")
            by_venue = store.find_by_venue_order_id(account, "paper", "V-1")
            stored_group = store.get_group(account, group_id)
            stored_plan = store.get_plan(account, plan_id)
            assert by_client is not None
            assert by_venue is not None
            assert stored_group is not None
            assert stored_plan is not None
            assert (by_client.order_id, by_venue.order_id) == (order_id, order_id)
            assert (stored_group.account, stored_group.order_ids) == (account, (order_id,))
            assert (stored_plan.account, stored_plan.plan_id) == (account, plan_id)
            assert by_client.plan_id == plan_id
        with pytest.raises(IntegrityError):
            ledger.record_group(make_group("acct-2", group_id=group_id))
        assert assert_replay_matches(store, {"acct-1", "acct-2"}) == 2

    def test_fill_key_is_unique_per_venue_symbol_and_trade(
        self, ledger: Ledger, store: Store
    ) -> None:
        record = recorded_order(ledger)
        ledger.apply("acct-1", record.order_id, Filled(fill_of(record.order, "0.5", "t-1")))
        with pytest.raises(IntegrityError), store.transaction() as tx:
            tx.insert_fill(
                "acct-1", "paper", "BTC_USDT", Side.BUY, fill_of(record.order, "0.5", "t-1")
            )
        assert len(store.fills("acct-1", record.order_id)) == 1

    def test_journal_is_in_sequence_and_pages(self, ledger: Ledger, store: Store) -> None:
        for _ in range(3):
            recorded_order(ledger)
        everything = store.journal(0, 10_000)
        seqs = [e.seq for e in everything]
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == len(seqs) == 9
        assert store.journal(seqs[3], 2) == everything[4:6]
        assert tuple(Journal(store, page_size=2).entries()) == everything

    # --- load ---------------------------------------------------------------------------

    def test_load_filters_by_status_symbol_group_and_time(self, ledger: Ledger) -> None:
        group = ledger.record_group(make_group())
        other = ledger.record_group(make_group())
        orders = []
        for i in range(6):
            at = T0 + timedelta(minutes=i)
            symbol = "ETH_USDT" if i % 2 else "BTC_USDT"
            order = order_in_group(group if i < 4 else other, at, symbol=symbol)
            ledger.record_order("acct-1", order, venue="paper", client_order_id=f"c{i}")
            orders.append(order.order_id)
        ledger.apply("acct-1", orders[0], Acked(T0))
        ledger.apply("acct-1", orders[1], Cancelled(T0))

        def ids(query: OrderQuery) -> list[str]:
            return [r.order_id for r in ledger.load_all("acct-1", query)]

        assert ids(OrderQuery()) == orders
        assert ids(OrderQuery(statuses={OrderStatus.OPEN})) == [orders[0]]
        open_or_pending = {OrderStatus.OPEN, OrderStatus.PENDING}
        assert ids(OrderQuery(statuses=open_or_pending)) == [orders[0], *orders[2:]]
        assert ids(OrderQuery(statuses=set())) == []
        assert ids(OrderQuery(symbol="ETH_USDT")) == orders[1::2]
        assert ids(OrderQuery(group_id=other.group_id)) == orders[4:]
        window = OrderQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
        assert ids(window) == orders[1:3]

    def test_cursor_paging_returns_every_order_once_in_order(self, ledger: Ledger) -> None:
        group = ledger.record_group(make_group())
        expected = []
        for i in range(7):
            order = order_in_group(group, T0 + timedelta(seconds=i // 2))
            ledger.record_order("acct-1", order, venue="paper", client_order_id=f"p{i}")
            expected.append(order.order_id)
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = ledger.load("acct-1", cursor=cursor, limit=3)
            seen += [r.order_id for r in page.records]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        # Oldest first; orders created in the same instant are ordered by id.
        by_time = sorted(range(7), key=lambda i: (i // 2, expected[i]))
        assert seen == [expected[i] for i in by_time]
        assert pages == 3

    # --- trace --------------------------------------------------------------------------

    def test_trace_returns_plan_group_order_and_every_entry_in_order(
        self, ledger: Ledger, store: Store
    ) -> None:
        record = recorded_order(ledger)
        ledger.set_submit_state("acct-1", record.order_id, SubmitState.SENT)
        ledger.apply("acct-1", record.order_id, Acked(T0, "V-1"), causation_id="report-1")
        fill = fill_of(record.order, "1.0", "t-1")
        ledger.apply("acct-1", record.order_id, Filled(fill), correlation_id="corr-1")
        trace = Journal(store).trace("acct-1", record.order_id)
        assert trace.plan is not None
        assert trace.plan.plan_id == record.plan_id == trace.group.plan_id
        assert trace.group.order_ids == (record.order_id,)
        assert trace.record.order.status is OrderStatus.FILLED
        assert [e.kind for e in trace.entries] == [
            JournalKind.ORDER_RECORDED,
            JournalKind.SUBMIT_STATE,
            JournalKind.ACKED,
            JournalKind.FILLED,
        ]
        assert trace.entries[2].causation_id == "report-1"
        assert trace.entries[3].correlation_id == "corr-1"
        assert trace.entries[3].payload["fill"]["trade_id"] == "t-1"
        assert [exact(f) for f in trace.fills] == [exact(fill)]

    def test_group_knows_its_order_ids(self, ledger: Ledger) -> None:
        group = ledger.record_group(make_group())
        ids = []
        for i in range(3):
            order = order_in_group(group, T0 + timedelta(seconds=i))
            ledger.record_order("acct-1", order, venue="paper", client_order_id=f"g{i}")
            ids.append(order.order_id)
        assert ledger.get_group("acct-1", group.group_id).order_ids == tuple(ids)

    # --- execution rows: one per order, for statistics -----------------------------------

    def test_execution_rows_are_one_plain_row_per_order(
        self, ledger: Ledger, store: Store, clock: ManualClock
    ) -> None:
        assert isinstance(store, ExecutionRows)
        split = recorded_order(ledger, arrival_price="99.50", side="SELL")
        clock.advance(timedelta(seconds=1))
        ledger.set_submit_state("acct-1", split.order_id, SubmitState.SENT)
        late, early = T0 + timedelta(seconds=5), T0 + timedelta(seconds=2)
        # Reported out of order: the fill recorded last is not the latest execution.
        ledger.apply("acct-1", split.order_id, Filled(fill_of(split.order, "0.6", "a", at=late)))
        ledger.apply(
            "acct-1", split.order_id, Filled(fill_of(split.order, "0.4", "b", "100.25", early))
        )
        whole = recorded_order(ledger, arrival_price="100", order_type="MARKET", price=None)
        ledger.apply("acct-1", whole.order_id, Filled(fill_of(whole.order, "1.0", "c", at=late)))
        never = recorded_order(ledger)
        ledger.apply("acct-1", never.order_id, Cancelled(T0))
        recorded_order(ledger, account="acct-2")
        rows = sorted(store.execution_rows("acct-1", OrderQuery(), ("symbol", "side")))
        text = "2025-12-01T15:00:0{}.000000+00:00".format
        assert rows == sorted([
            ("BTC_USDT\x1fSELL", "FILLED", "SELL", "99.50", "1.0", "100.100", text(1), text(5)),
            ("BTC_USDT\x1fBUY", "FILLED", "BUY", "100", "1.0", "100.000", text(0), text(5)),
            ("BTC_USDT\x1fBUY", "CANCELLED", "BUY", None, "0", "0", text(0), None),
        ])  # fmt: skip

    def test_execution_rows_filter_as_load_does(self, ledger: Ledger, store: Store) -> None:
        assert isinstance(store, ExecutionRows)
        ids = [
            recorded_order(ledger, at=T0 + timedelta(minutes=n), arrival_price="1").order_id
            for n in range(3)
        ]
        ledger.apply("acct-1", ids[2], Rejected(T0 + timedelta(minutes=3), "no"))
        window = OrderQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2))
        assert [row[:2] for row in store.execution_rows("acct-1", window, ("venue",))] == [
            ("paper", "PENDING")
        ]
        rejected = OrderQuery(statuses={OrderStatus.REJECTED})
        assert [row[1] for row in store.execution_rows("acct-1", rejected, ())] == ["REJECTED"]
        assert list(store.execution_rows("acct-1", OrderQuery(statuses=()), ())) == []
        with pytest.raises(ValueError, match="cannot group by \\['strategy'\\]"):
            store.execution_rows("acct-1", OrderQuery(), ("strategy",))

    # --- execution totals: per-group sums, for statistics --------------------------------

    @staticmethod
    def _orders_for_totals(ledger: Ledger, clock: ManualClock) -> None:
        """Two BUYs slipping exactly 1 and 2 units (1e-6 bps) on equal notionals, the second
        sent at T0+0.5s; a SELL partly filled at 20 bps and cancelled; a BUY never filled;
        another account's filled order."""
        one = recorded_order(ledger, quantity="1", arrival_price="100.00")
        fill = fill_of(one.order, "1", "one", "100.00000001", T0 + timedelta(seconds=1))
        ledger.apply("acct-1", one.order_id, Filled(fill))
        two = recorded_order(ledger, quantity="1", arrival_price="99.99999999")
        clock.advance(timedelta(milliseconds=500))
        ledger.set_submit_state("acct-1", two.order_id, SubmitState.SENT)
        fill = fill_of(two.order, "1", "two", "100.00000001", T0 + timedelta(seconds=2))
        ledger.apply("acct-1", two.order_id, Filled(fill))
        sell = recorded_order(ledger, quantity="2.0", side="SELL", arrival_price="50.00")
        ledger.apply("acct-1", sell.order_id, Filled(fill_of(sell.order, "0.5", "s", "49.90")))
        ledger.apply("acct-1", sell.order_id, Cancelled(T0 + timedelta(seconds=3)))
        recorded_order(ledger, arrival_price="100.00")
        other = recorded_order(ledger, account="acct-2", quantity="1", arrival_price="1")
        ledger.apply("acct-2", other.order_id, Filled(fill_of(other.order, "1", "x", "2")))

    def test_execution_totals_are_exact_per_group_sums(
        self, ledger: Ledger, clock: ManualClock
    ) -> None:
        self._orders_for_totals(ledger, clock)
        # The BUYs' weighted slippage is exactly 1.5 units: half-even, 2 (floats cannot
        # decide a tie). All three: (3 x 100.00000001 + 2e7 x 24.950) / 224.95000002.
        assert ledger.execution_totals("acct-1", OrderQuery(), ("side",)) == {
            "BUY": ExecutionTotals(
                outcomes={"FILLED": 2, "PENDING": 1},
                slippages=[1, 2],
                fill_times=[1_000_000, 1_500_000],
                weighted_bps=Decimal("0.000002"),
            ),
            "SELL": ExecutionTotals(
                outcomes={"CANCELLED": 1},
                slippages=[20_000_000],
                fill_times=[],
                weighted_bps=Decimal("20.000000"),
            ),
        }
        whole = ledger.execution_totals("acct-1", OrderQuery(), ())
        assert list(whole) == [""]
        assert whole[""].weighted_bps == Decimal("2.218272")
        assert whole[""].outcomes == {"FILLED": 2, "PENDING": 1, "CANCELLED": 1}
        for keys in ((), ("side",), ("symbol", "venue", "order_type")):
            rows = ledger.execution_rows("acct-1", OrderQuery(), keys)
            assert ledger.execution_totals("acct-1", OrderQuery(), keys) == totals_of_rows(rows)

    def test_execution_totals_filter_by_query_and_submit_time(
        self, ledger: Ledger, clock: ManualClock
    ) -> None:
        self._orders_for_totals(ledger, clock)
        sent_later = ledger.execution_totals(
            "acct-1", OrderQuery(), (), submitted_from=T0 + timedelta(milliseconds=250)
        )
        assert sent_later == {
            "": ExecutionTotals({"FILLED": 1}, [2], [1_500_000], Decimal("0.000002"))
        }
        sent_first = ledger.execution_totals(
            "acct-1", OrderQuery(), ("side",), submitted_until=T0 + timedelta(milliseconds=500)
        )
        assert sorted(sent_first) == ["BUY", "SELL"]
        assert sent_first["BUY"].outcomes == {"FILLED": 1, "PENDING": 1}
        cancelled = OrderQuery(statuses={OrderStatus.CANCELLED})
        assert list(ledger.execution_totals("acct-1", cancelled, ("side",))) == ["SELL"]
        assert ledger.execution_totals("acct-1", OrderQuery(statuses=()), ()) == {}
        assert ledger.execution_totals("nobody", OrderQuery(), ()) == {}
        with pytest.raises(ValueError, match="cannot group by \\['strategy'\\]"):
            ledger.execution_totals("acct-1", OrderQuery(), ("strategy",))

    def test_execution_totals_keep_a_slippage_too_large_for_units(self, ledger: Ledger) -> None:
        tiny = recorded_order(ledger, quantity="1.0", arrival_price="0.000000000000000001")
        ledger.apply("acct-1", tiny.order_id, Filled(fill_of(tiny.order, "1.0", "t", "5.0")))
        usual = recorded_order(ledger, quantity="1", arrival_price="100.00")
        ledger.apply("acct-1", usual.order_id, Filled(fill_of(usual.order, "1", "u", "100.01")))
        units = 49_999_999_999_999_999_990_000_000_000  # (5 - 1e-18) / 1e-18 x 10**10
        totals = ledger.execution_totals("acct-1", OrderQuery(), ())
        assert totals[""].slippages == [1_000_000, units]
        rows = ledger.execution_rows("acct-1", OrderQuery(), ())
        assert totals == totals_of_rows(rows)


def _record_twice(store: Store, group: ExecutionGroup) -> None:
    with store.transaction() as tx:
        tx.append(
            NewEntry(
                T0,
                JournalKind.GROUP_RECORDED,
                "acct-1",
                None,
                group.group_id,
                None,
                None,
                None,
                {"x": 1},
            )
        )
        tx.insert_plan(make_plan())
        tx.insert_group(group)  # already recorded: the whole transaction must go
