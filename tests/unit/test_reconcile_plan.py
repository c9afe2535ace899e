"""Reconciliation's comparison, alone: what the Ledger holds and what the venue shows, in;
the actions that settle each difference, out. No broker, no venue, no I/O."""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal as D
from hashlib import sha1

from hypothesis import given, settings
from hypothesis import strategies as st

from orderdesk.broker.reconcile import (
    ACTIONS,
    Action,
    Difference,
    DifferenceKind,
    lookback_start,
    plan,
)
from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores.memory import MemoryStore
from orderdesk.model import OrderStatus, OrderType, Side, TimeInForce
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.model.venue import VenueOrder
from orderdesk.testing.ledger_kit import T0, recorded_order

K = DifferenceKind
S = OrderStatus
SS = SubmitState

_TEMPLATE = recorded_order(Ledger(MemoryStore(), ManualClock(T0)))


def record(
    client_id: str,
    status: OrderStatus = S.OPEN,
    submit_state: SubmitState = SS.ACKED,
    *,
    filled: str = "0",
    cancel_requested: bool = False,
    order_type: OrderType = OrderType.LIMIT,
) -> OrderRecord:
    """The Ledger's record of one order, as the pure comparison reads it."""
    order = _TEMPLATE.order.model_copy(
        update={
            "order_id": f"ORD_20251201_150000_{sha1(client_id.encode()).hexdigest()[:8]}",
            "status": status,
            "order_type": order_type,
        }
    )
    return replace(
        _TEMPLATE,
        order=order,
        client_order_id=client_id,
        submit_state=submit_state,
        cancel_requested_at=T0 if cancel_requested else None,
        filled_quantity=D(filled),
    )


def venue_order(client_id: str, status: OrderStatus = S.OPEN, filled: str = "0") -> VenueOrder:
    """The venue's snapshot of one order."""
    return VenueOrder(
        venue_order_id=f"v-{client_id}",
        client_order_id=client_id,
        symbol="BTC_USDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        quantity=D("1.0"),
        price=D("100.00"),
        stop_price=None,
        status=status,
        filled_quantity=D(filled),
        filled_notional=D(filled) * 100,
        created_at=T0,
        updated_at=T0,
    )


def kinds(actions: Sequence[Action]) -> list[tuple[DifferenceKind, str]]:
    return [(action.kind, action.client_order_id) for action in actions]


# --- each kind, exactly -------------------------------------------------------------------


def test_nothing_differs_when_both_sides_agree() -> None:
    acked = record("a", S.PARTIALLY_FILLED, filled="0.5")
    assert plan([acked], {}, {"a": venue_order("a", S.PARTIALLY_FILLED, "0.5")}) == []
    assert plan([], {}, {}) == []


def test_an_order_only_the_venue_holds_is_missing_here() -> None:
    found = venue_order("web-1")
    assert plan([], {}, {"web-1": found}) == [Action(K.MISSING_HERE, "web-1", None, found)]


def test_a_finished_record_found_by_client_id_is_compared_like_a_working_one() -> None:
    done = record("a", S.CANCELLED)
    filled_there = venue_order("a", S.FILLED, "1.0")
    assert plan([], {"a": done}, {"a": filled_there}) == [Action(K.BEHIND, "a", done, filled_there)]
    assert plan([], {"a": done}, {"a": venue_order("a", S.CANCELLED)}) == []


def test_the_working_record_wins_over_another_under_the_same_client_id() -> None:
    working, finished = record("a", S.OPEN), record("a", S.FILLED, filled="1.0")
    found = venue_order("a", S.OPEN)
    assert plan([working], {"a": finished}, {"a": found}) == []


def test_the_ledger_is_behind_on_status_filled_quantity_or_the_ack() -> None:
    there = venue_order("a", S.PARTIALLY_FILLED, "0.5")
    for here in (
        record("a", S.OPEN),
        record("a", S.PARTIALLY_FILLED, filled="0.25"),
        record("a", S.PARTIALLY_FILLED, SS.IN_DOUBT, filled="0.5"),
    ):
        assert plan([here], {}, {"a": there}) == [Action(K.BEHIND, "a", here, there)]


def test_a_rejected_record_the_venue_shows_placed_is_contradicted_not_behind() -> None:
    rejected = record("a", S.REJECTED, SS.ACKED)
    placed = venue_order("a", S.OPEN)
    assert plan([], {"a": rejected}, {"a": placed}) == [
        Action(K.CONTRADICTED, "a", rejected, placed)
    ]
    assert plan([], {"a": rejected}, {"a": venue_order("a", S.REJECTED)}) == []


def test_a_cancel_the_venue_has_not_carried_out_follows_the_order_s_other_difference() -> None:
    asked = record("a", S.PENDING, SS.SENT, cancel_requested=True)
    working = venue_order("a", S.OPEN)
    assert plan([asked], {}, {"a": working}) == [
        Action(K.BEHIND, "a", asked, working),
        Action(K.CANCEL_PENDING, "a", asked, working),
    ]
    rejected = record("b", S.REJECTED, cancel_requested=True)
    placed = venue_order("b", S.OPEN)
    assert plan([], {"b": rejected}, {"b": placed}) == [
        Action(K.CONTRADICTED, "b", rejected, placed),
        Action(K.CANCEL_PENDING, "b", rejected, placed),
    ]
    in_step = record("c", S.OPEN, cancel_requested=True)
    assert kinds(plan([in_step], {}, {"c": venue_order("c", S.OPEN)})) == [(K.CANCEL_PENDING, "c")]
    assert plan([], {}, {}) == []
    ended = venue_order("c", S.CANCELLED)
    assert kinds(plan([in_step], {}, {"c": ended})) == [(K.BEHIND, "c")]  # nothing to cancel


def test_unsettled_orders_the_venue_does_not_show_are_never_sent_or_in_doubt() -> None:
    intent = record("a", S.PENDING, SS.NOT_SENT)
    sent, lost = record("b", S.PENDING, SS.SENT), record("c", S.PENDING, SS.IN_DOUBT)
    assert plan([intent, sent, lost], {}, {}) == [
        Action(K.NEVER_SENT, "a", intent, None),
        Action(K.IN_DOUBT, "b", sent, None),
        Action(K.IN_DOUBT, "c", lost, None),
    ]


def test_an_acked_order_the_venue_does_not_show_is_reported_only() -> None:
    acked = record("a", S.OPEN)
    assert plan([acked], {}, {}) == [Action(K.UNKNOWN_THERE, "a", acked, None)]
    done_market = record("m", S.FILLED, order_type=OrderType.MARKET, filled="1.0")
    assert plan([done_market], {}, {}) == []  # a finished MARKET order leaves no trace there


def test_venue_orders_come_first_by_client_id_then_unsettled_then_unknown_there() -> None:
    unknown, doubt = record("z-acked", S.OPEN), record("y-doubt", S.PENDING, SS.IN_DOUBT)
    behind = record("m", S.OPEN, SS.SENT)
    at_venue = {"q-web": venue_order("q-web"), "m": venue_order("m"), "b-web": venue_order("b-web")}
    assert kinds(plan([unknown, doubt, behind], {}, at_venue)) == [
        (K.MISSING_HERE, "b-web"),
        (K.BEHIND, "m"),
        (K.MISSING_HERE, "q-web"),
        (K.IN_DOUBT, "y-doubt"),
        (K.UNKNOWN_THERE, "z-acked"),
    ]


def test_each_action_reports_its_difference_with_the_record_it_is_given() -> None:
    here = record("a", S.PENDING, SS.SENT)
    there = venue_order("a", S.PARTIALLY_FILLED, "0.5")
    (action,) = plan([here], {}, {"a": there})
    assert action.difference() == Difference(
        kind=K.BEHIND,
        client_order_id="a",
        order_id=here.order_id,
        venue_order_id="v-a",
        ledger_status="PENDING",
        venue_status="PARTIALLY_FILLED",
        ledger_filled="0",
        venue_filled="0.5",
        action="record the venue's events",
    )
    caught_up = replace(here, order=here.order.model_copy(update={"status": S.OPEN}))
    assert action.difference(caught_up).ledger_status == "OPEN"
    missing = Action(K.MISSING_HERE, "w", None, there).difference()
    assert (missing.order_id, missing.ledger_status, missing.ledger_filled) == (None, None, None)
    assert set(ACTIONS) == set(DifferenceKind)


def test_the_venue_s_closed_orders_are_read_from_the_oldest_working_order_or_a_day_back() -> None:
    now, day = T0 + timedelta(days=3), timedelta(days=1)
    assert lookback_start([], now, day) == now - day
    old = replace(_TEMPLATE, order=_TEMPLATE.order.model_copy(update={"created_at": T0}))
    assert lookback_start([old], now, day) == T0
    recent = replace(old, order=old.order.model_copy(update={"created_at": now}))
    assert lookback_start([recent], now, day) == now - day


# --- random states ------------------------------------------------------------------------

_WORKING = [S.PENDING, S.OPEN, S.PARTIALLY_FILLED]
_FINISHED = [S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED]


@dataclass(frozen=True)
class Pair:
    """One client id: what the Ledger holds under it and what the venue shows."""

    here: str  # "none", "working" or "finished"
    status: OrderStatus
    submit_state: SubmitState
    filled: str
    cancel_requested: bool
    market: bool
    there: OrderStatus | None
    there_filled: str


def _sides(here: str) -> st.SearchStrategy[Pair]:
    statuses = {"none": [S.OPEN], "working": _WORKING, "finished": _FINISHED}[here]
    return st.builds(
        Pair,
        here=st.just(here),
        status=st.sampled_from(statuses),
        submit_state=st.sampled_from(list(SubmitState)),
        filled=st.sampled_from(["0", "0.5"]),
        cancel_requested=st.booleans(),
        market=st.booleans(),
        there=st.none() | st.sampled_from(list(OrderStatus)),
        there_filled=st.sampled_from(["0", "0.5"]),
    )


states = st.lists(
    st.sampled_from(["none", "working", "finished"]).flatmap(_sides), max_size=10
).map(lambda sides: {f"c{index:02d}": side for index, side in enumerate(sides)})


def _inputs(
    state: Mapping[str, Pair], seed: int
) -> tuple[list[OrderRecord], dict[str, OrderRecord], dict[str, VenueOrder]]:
    working: list[OrderRecord] = []
    recorded: dict[str, OrderRecord] = {}
    at_venue: dict[str, VenueOrder] = {}
    for client_id, side in state.items():
        if side.here != "none":
            made = record(
                client_id,
                side.status,
                side.submit_state,
                filled=side.filled,
                cancel_requested=side.cancel_requested,
                order_type=OrderType.MARKET if side.market else OrderType.LIMIT,
            )
            if side.here == "working":
                working.append(made)
            elif side.there is not None:  # the Ledger is asked only for ids the venue shows
                recorded[client_id] = made
        if side.there is not None:
            at_venue[client_id] = venue_order(client_id, side.there, side.there_filled)
    random.Random(seed).shuffle(working)  # the Ledger's order, whatever it is
    shuffled = list(at_venue.items())
    random.Random(seed + 1).shuffle(shuffled)
    return working, recorded, dict(shuffled)


def _expected_kinds(side: Pair) -> list[DifferenceKind]:
    """What one client id's two sides call for, case by case."""
    if side.there is None:
        if side.here != "working":
            return []  # nothing the venue shows, nothing working here: nothing to settle
        if side.submit_state is SS.NOT_SENT:
            return [K.NEVER_SENT]
        if side.submit_state is not SS.ACKED:
            return [K.IN_DOUBT]
        return [K.UNKNOWN_THERE]  # working statuses are never terminal: always reported
    if side.here == "none":
        return [K.MISSING_HERE]
    first: list[DifferenceKind] = []
    if side.status is S.REJECTED:
        if side.there is not S.REJECTED:
            first = [K.CONTRADICTED]
    elif (side.status, side.filled, side.submit_state) != (side.there, side.there_filled, SS.ACKED):
        first = [K.BEHIND]
    pending = [K.CANCEL_PENDING] if side.cancel_requested and not side.there.is_terminal else []
    return first + pending


_PHASE = {
    K.MISSING_HERE: 0,
    K.CONTRADICTED: 0,
    K.BEHIND: 0,
    K.CANCEL_PENDING: 0,
    K.NEVER_SENT: 1,
    K.IN_DOUBT: 1,
    K.UNKNOWN_THERE: 2,
}


@settings(max_examples=300, deadline=None)
@given(states, st.integers(0, 2**32 - 1))
def test_random_ledger_and_venue_states_give_exactly_the_actions_each_case_calls_for(
    state: dict[str, Pair], seed: int
) -> None:
    print(f"shuffle seed {seed}")
    working, recorded, at_venue = _inputs(state, seed)
    before = copy.deepcopy((working, recorded, at_venue))

    actions = plan(working, recorded, at_venue)

    position = {r.client_order_id: index for index, r in enumerate(working)}

    def order_key(item: tuple[DifferenceKind, str]) -> tuple[int, object]:
        kind, client_id = item
        if _PHASE[kind] == 0:
            return (0, (client_id, kind is K.CANCEL_PENDING))
        return (_PHASE[kind], position[client_id])

    expected = sorted(
        ((kind, client_id) for client_id, side in state.items() for kind in _expected_kinds(side)),
        key=order_key,
    )
    assert kinds(actions) == expected
    by_client = {r.client_order_id: r for r in working} | {
        client_id: r for client_id, r in recorded.items() if client_id not in position
    }
    for action in actions:
        assert action.record is by_client.get(action.client_order_id)
        assert action.found is at_venue.get(action.client_order_id)
    assert (working, recorded, at_venue) == before  # the comparison changes nothing
    assert plan(working, recorded, at_venue) == actions  # and depends on nothing else
