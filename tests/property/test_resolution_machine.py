"""The in-doubt protocol under any mix of lost submits, crashes, cancels and resolvers.

Two AsyncBrokers share one ledger and a paper venue that loses requests and replies and
may lag past the visibility window. Rules submit (the request or the reply may be lost),
cancel, reconcile, resolve one order from several brokers at once, let venue time pass,
print trades, and crash: every broker dies with its work in flight and fresh ones start on
the same ledger. Work a rule starts goes on in the background while later rules run. After
every rule: no intent is placed twice, no order is REJECTED while the venue holds it, a
cancelled intent is never sent after the cancel, the ledger records no fill the venue does
not have, nothing has been raised out of ``reconcile()`` and no ``submit()`` has outlasted
its bound; whenever the venue is calmed and reconciled, every order's fills are the venue's.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from orderdesk.broker.core import AsyncBroker
from orderdesk.model import OrderStatus
from orderdesk.testing.race_venue import (
    ACCOUNT,
    BOUND,
    BOUND_SLACK,
    SUBMIT_TIMEOUT,
    RaceDesk,
    WireFault,
)
from orderdesk.venues.paper.faults import Faults
from orderdesk.venues.paper.records import PaperOrder

HOUR = timedelta(hours=1)
LATE_AFTER = SUBMIT_TIMEOUT + BOUND_SLACK
"""A submit that returns later than this has outlasted its bound."""
FAULTS = st.sampled_from([WireFault.LOSE_REQUEST, WireFault.LOSE_REPLY, None])


@dataclass
class Work:
    """A task some rule started: what it is and when."""

    label: str
    task: asyncio.Task[Any]
    started: datetime
    finished: datetime | None = None


class ResolutionMachine(RuleBasedStateMachine):
    desk: RaceDesk
    loop: asyncio.AbstractEventLoop

    @initialize(
        lag=st.sampled_from([0, 30, 200]),
        loss=st.sampled_from([0.0, 0.1]),
        stream=st.booleans(),
        seed=st.integers(0, 2**16),
    )
    def venue(self, lag: int, loss: float, stream: bool, seed: int) -> None:
        self.faults = Faults(
            drop_request=loss, drop_reply=loss, not_found_lag=timedelta(seconds=lag)
        )
        self.desk = RaceDesk(
            seed=seed,
            faults=self.faults,
            brokers_on_ledger=2,
            report_stream=stream,
            broker_options=BOUND,
        )
        self.loop = asyncio.new_event_loop()
        self.work: list[Work] = []
        self.order_ids: list[str] = []
        self.errors: Counter[str] = Counter()

    def teardown(self) -> None:
        if not hasattr(self, "loop"):
            return
        try:
            self._crash()
        finally:
            self.loop.close()
            self.desk.close()

    # --- running work ------------------------------------------------------------------------

    def _start(self, label: str, coroutine: Coroutine[Any, Any, Any]) -> Work:
        task = self.loop.create_task(coroutine)
        work = Work(label, task, self.desk.clock.now())
        task.add_done_callback(lambda _: setattr(work, "finished", self.desk.clock.now()))
        self.work.append(work)
        return work

    def _run_for(self, seconds: float, *started: Work) -> None:
        """Let simulated time run ``seconds`` (or until ``started`` ends); all in-flight
        work goes on meanwhile."""

        async def hold() -> None:
            await self.desk.time.sleep(seconds)

        pending = [w.task for w in started] or [self.loop.create_task(hold())]
        self.loop.run_until_complete(
            self.desk.time.run(*pending, limit=timedelta(seconds=seconds), keep_running=True)
        )
        self._harvest()

    def _harvest(self) -> None:
        for work in [w for w in self.work if w.task.done()]:
            self.work.remove(work)
            finished = work.finished
            if work.label == "submit" and finished and finished - work.started > LATE_AFTER:
                self.errors["submit: returned after its bound"] += 1
            if work.task.cancelled():
                continue
            error = work.task.exception()
            if error is not None:
                self.errors[f"{work.label}: {type(error).__name__}: {error}"] += 1

    def _crash(self) -> None:
        """Every broker process dies: its tasks end where they stand."""
        for work in self.work:
            work.task.cancel()
        tasks = [w.task for w in self.work]
        if tasks:
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        for task in asyncio.all_tasks(self.loop):  # the brokers' own background work
            task.cancel()
        self.loop.run_until_complete(asyncio.sleep(0))
        self._harvest()
        self.work.clear()

    def _broker(self, index: int) -> AsyncBroker:
        return self.desk.brokers[index % len(self.desk.brokers)]

    # --- rules -------------------------------------------------------------------------------

    @rule(
        kind=st.sampled_from(["resting", "market"]),
        first=FAULTS,
        resend=FAULTS,
        broker=st.integers(0, 1),
        horizon=st.integers(0, 200),
    )
    def submit(
        self,
        kind: str,
        first: WireFault | None,
        resend: WireFault | None,
        broker: int,
        horizon: int,
    ) -> None:
        order = self.desk.order(kind)
        self.desk.wire.script.clear()
        self.desk.wire.script.extend([first, resend])
        self.order_ids.append(order.order_id)
        work = self._start("submit", self._broker(broker).submit(order))
        self._run_for(max(horizon, 0.001), work)

    @precondition(lambda self: bool(self.order_ids))
    @rule(data=st.data(), broker=st.integers(0, 1), horizon=st.integers(0, 60))
    def cancel(self, data: st.DataObject, broker: int, horizon: int) -> None:
        order_id = data.draw(st.sampled_from(self.order_ids))
        if self.desk.ledger.store.get_order(ACCOUNT, order_id) is None:
            return  # its submit has not recorded it yet: there is nothing to cancel
        work = self._start("cancel", self.desk.cancel(self._broker(broker), order_id))
        self._run_for(max(horizon, 0.001), work)

    @rule(broker=st.integers(0, 1), horizon=st.integers(0, 300))
    def reconcile(self, broker: int, horizon: int) -> None:
        work = self._start("reconcile", self._broker(broker).reconcile())
        self._run_for(max(horizon, 0.001), work)

    @precondition(lambda self: bool(self.order_ids))
    @rule(data=st.data(), resolvers=st.integers(2, 3), horizon=st.integers(0, 300))
    def concurrent_resolvers(self, data: st.DataObject, resolvers: int, horizon: int) -> None:
        order_id = data.draw(st.sampled_from(self.order_ids))
        if self.desk.ledger.store.get_order(ACCOUNT, order_id) is None:
            return  # its submit has not recorded it yet: there is nothing to resolve
        started = [
            self._start("reconcile", self._broker(i).resolve(order_id)) for i in range(resolvers)
        ]
        self._run_for(max(horizon, 0.001), *started)

    @rule(seconds=st.integers(1, 300))
    def venue_time_passes(self, seconds: int) -> None:
        self._run_for(seconds)

    @rule()
    def a_trade_prints_through_resting_buys(self) -> None:
        self.desk.print_through()

    @rule()
    def crash_and_restart(self) -> None:
        self._crash()
        for index in range(len(self.desk.brokers)):
            self.desk.restart(index)

    @rule()
    def calm_and_reconcile(self) -> None:
        """The venue comes right and a broker reconciles: the ledger must match it."""
        self._crash()  # a clean start: nothing in flight
        for index in range(len(self.desk.brokers)):
            self.desk.restart(index)
        outcomes = self.loop.run_until_complete(self.desk.settle())
        for outcome in outcomes:
            if outcome.error is not None:
                self.errors[f"reconcile: {outcome.error!r}"] += 1
        assert self.errors == Counter()
        audit = self.desk.audit()
        assert (audit.fills_differ, audit.cancels_ignored) == (0, 0), audit
        self.desk.exchange.account(ACCOUNT).faults = self.faults  # and the faults resume

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def no_intent_is_placed_twice(self) -> None:
        if not hasattr(self, "desk"):
            return
        twice = []
        for record in self.desk.ledger.load_all(ACCOUNT):
            held = sorted(self.desk.venue_orders(record.client_order_id), key=_created)
            # A lag past the window can place a finished order's client id again: the
            # limit the README states, counted apart by the race audit, not a fault here.
            if len(held) > 1 and not self.desk.placed_past_window(held):
                twice.append(record.order_id)
        assert twice == []

    @invariant()
    def no_order_is_rejected_while_the_venue_holds_it(self) -> None:
        if not hasattr(self, "desk"):
            return
        false = [
            r.order_id for r in self.desk.ledger.load_all(ACCOUNT)
            if r.order.status is OrderStatus.REJECTED and self.desk.venue_orders(r.client_order_id)
        ]  # fmt: skip
        assert false == []

    @invariant()
    def a_cancelled_intent_is_never_sent_after_the_cancel(self) -> None:
        if not hasattr(self, "desk"):
            return
        wire, late = self.desk.wire, []
        for record in self.desk.ledger.load_all(ACCOUNT):
            if record.cancel_requested_at is None:
                continue
            marks = [m.seq for m in wire.cancels if m.client_order_id == record.client_order_id]
            sent = [s.seq for s in wire.sends_of(record.client_order_id)]
            if marks and any(seq > min(marks) for seq in sent):
                late.append(record.order_id)
        assert late == []

    @invariant()
    def the_ledger_records_only_fills_the_venue_has(self) -> None:
        if not hasattr(self, "desk"):
            return
        desk, extra = self.desk, []
        for record in desk.ledger.load_all(ACCOUNT):
            recorded = {f.trade_id for f in desk.ledger.fills(ACCOUNT, record.order_id)}
            venue = {f.trade_id for f in desk.venue_fills(record.client_order_id)}
            extra += sorted(recorded - venue)
        assert extra == []

    @invariant()
    def nothing_is_raised_out_of_reconcile_or_submit(self) -> None:
        if not hasattr(self, "desk"):
            return
        assert self.errors == Counter()

    @invariant()
    def no_submit_outlasts_its_bound(self) -> None:
        if not hasattr(self, "desk"):
            return
        now = self.desk.clock.now()
        late = [
            w.label for w in self.work
            if w.label == "submit" and ((w.finished or now) - w.started) > LATE_AFTER
        ]  # fmt: skip
        assert late == []


def _created(order: PaperOrder) -> datetime:
    return order.created_at


TestResolutionMachine = ResolutionMachine.TestCase
TestResolutionMachine.settings = settings(
    max_examples=60,
    stateful_step_count=20,
    deadline=None,
    print_blob=True,
    report_multiple_bugs=False,
)
