"""The lifecycle under any delivery of a venue's history: shuffled, repeated, late.

A venue's true history for one order (an ack, some trades, perhaps a cancel, an expiry or a
reject) is delivered in any order and any number of times, mixed with impossible reports
(overfills, conflicting trades) that must be refused without changing anything.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from orderdesk import (
    Acked,
    Cancelled,
    Expired,
    FillConflict,
    Filled,
    LifecycleError,
    Order,
    OrderEvent,
    OrderFills,
    OrderStatus,
    Overfill,
    Rejected,
)
from orderdesk.model.lifecycle import apply
from orderdesk.testing.factories import T0, make_fill, make_order

S = OrderStatus
TERMINAL_FOREVER = {S.FILLED, S.REJECTED}
LATE_FILL_ONLY = {S.CANCELLED, S.EXPIRED}


class LifecycleMachine(RuleBasedStateMachine):
    order: Order
    fills: OrderFills
    history: list[OrderEvent]
    trades: dict[str, Decimal]

    @initialize(
        units=st.integers(1, 50),
        cut=st.lists(st.integers(1, 20), max_size=6),
        ending=st.sampled_from(["none", "cancel", "expire", "reject", "complete"]),
    )
    def venue_history(self, units: int, cut: list[int], ending: str) -> None:
        """Make the venue's consistent story of one order of ``units`` x 0.01."""
        step = Decimal("0.01")
        self.order = make_order(quantity=units * step)
        self.fills = OrderFills(self.order.quantity)
        at = T0 + timedelta(seconds=1)
        self.trades = {}
        self.delivered: set[int] = set()
        self.recorded: dict[str, Decimal] = {}
        self.ending = ending
        if ending == "reject":
            self.history = [Rejected(at=at, reason="price filter")]
            return
        left = units
        for i, piece in enumerate(cut):
            take = min(piece, left - 1 if ending != "complete" else left)
            if take <= 0:
                break
            self.trades[f"t{i}"] = take * step
            left -= take
        if ending == "complete" and left > 0:
            self.trades[f"t{len(cut)}"] = left * step
        self.history = [Acked(at=at, connector_order_id="v1")]
        self.history += [
            Filled(make_fill(self.order, trade, str(qty), executed_at=at))
            for trade, qty in self.trades.items()
        ]
        if ending == "cancel":
            self.history.append(Cancelled(at=at))
        elif ending == "expire":
            self.history.append(Expired(at=at))

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Deliver any event of the history, again or out of order: it never raises."""
        index = data.draw(st.integers(0, len(self.history) - 1))
        event = self.history[index]
        before = self.order.status
        step = apply(self.order, self.fills, event)
        self.delivered.add(index)
        if step.fill is not None:
            self.recorded[step.fill.trade_id] = step.fill.quantity
        self._check_move(before, self.order.status, isinstance(event, Filled))

    @precondition(lambda self: self.ending != "reject")
    @rule(extra=st.integers(1, 5))
    def overfill_is_refused(self, extra: int) -> None:
        remaining = self.order.quantity - self.fills.filled_quantity
        bogus = make_fill(self.order, "bogus", str(remaining + extra * Decimal("0.01")))
        self._refused(Filled(bogus), Overfill)

    @precondition(lambda self: bool(getattr(self, "recorded", None)))
    @rule(data=st.data())
    def conflicting_trade_is_refused(self, data: st.DataObject) -> None:
        trade = data.draw(st.sampled_from(sorted(self.recorded)))
        twisted = make_fill(self.order, trade, str(self.recorded[trade]), price="101")
        self._refused(Filled(twisted), FillConflict)

    def _refused(self, event: OrderEvent, error: type[LifecycleError]) -> None:
        snapshot = (self.order.model_dump(), self.fills.filled_quantity, len(self.fills))
        with pytest.raises(error):
            apply(self.order, self.fills, event)
        assert (self.order.model_dump(), self.fills.filled_quantity, len(self.fills)) == snapshot

    @staticmethod
    def _check_move(before: OrderStatus, after: OrderStatus, by_fill: bool) -> None:
        if before in TERMINAL_FOREVER:
            assert after is before
        if before in LATE_FILL_ONLY and after is not before:
            assert by_fill
            assert after is S.FILLED

    @invariant()
    def filled_is_the_sum_of_distinct_recorded_fills(self) -> None:
        if not hasattr(self, "recorded"):
            return
        assert self.fills.filled_quantity == sum(self.recorded.values(), Decimal(0))
        assert self.fills.filled_quantity == sum((f.quantity for f in self.fills), Decimal(0))
        assert self.fills.filled_quantity <= self.order.quantity

    @invariant()
    def status_agrees_with_fills(self) -> None:
        if not hasattr(self, "order"):
            return
        status, filled = self.order.status, self.fills.filled_quantity
        assert status in set(OrderStatus)
        if status in {S.PENDING, S.OPEN, S.REJECTED}:
            assert filled == 0
        if status is S.PARTIALLY_FILLED:
            assert 0 < filled < self.order.quantity
        if status is S.FILLED:
            assert filled == self.order.quantity

    @invariant()
    def once_everything_arrived_the_state_is_the_venues(self) -> None:
        if not hasattr(self, "delivered") or len(self.delivered) < len(self.history):
            return
        total = sum(self.trades.values(), Decimal(0))
        expected = {
            "cancel": S.CANCELLED,
            "expire": S.EXPIRED,
            "reject": S.REJECTED,
            "complete": S.FILLED,
            "none": S.PARTIALLY_FILLED if total else S.OPEN,
        }[self.ending]
        if total == self.order.quantity:
            expected = S.FILLED
        assert self.order.status is expected
        assert self.fills.filled_quantity == total


LifecycleMachine.TestCase.settings = settings(
    max_examples=1000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 200,
    stateful_step_count=40,
    deadline=None,
)
TestLifecycleMachine = LifecycleMachine.TestCase
