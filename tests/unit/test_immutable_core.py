"""The Ledger's values are immutable: sealed Orders, records stepped by the lifecycle, and
journal payloads built directly but equal to what the models would serialise."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderdesk.ledger.entries import fill_json, order_json
from orderdesk.model import Acked, Fill, Filled, Liquidity, OrderStatus, Side, VenueFill
from orderdesk.model.lifecycle import advance, decide
from orderdesk.model.order import evolve, seal, sealed
from orderdesk.testing.factories import T0, make_fill, make_order
from orderdesk.testing.strategies import fills_of, orders

GROUP = "EXG_20251201_145955_a1b2c3d4"


def test_a_sealed_order_equals_its_source_and_refuses_every_assignment() -> None:
    order = make_order()
    recorded = seal(order)
    assert recorded == order
    assert repr(recorded) == repr(order)
    assert recorded.model_dump() == order.model_dump()
    with pytest.raises(TypeError, match="is recorded and cannot change"):
        recorded.status = OrderStatus.OPEN
    assert recorded.status is OrderStatus.PENDING
    order.status = OrderStatus.OPEN  # the trader's own order stays theirs
    assert (order.status, recorded.status) == (OrderStatus.OPEN, OrderStatus.PENDING)
    assert seal(recorded) is recorded


@pytest.mark.parametrize(
    "copied",
    [
        lambda o: o.model_copy(),
        lambda o: o.model_copy(update={"status": OrderStatus.OPEN}),
        copy.copy,
        copy.deepcopy,
    ],
)
def test_a_copy_of_a_sealed_order_is_a_mutable_validated_order(copied: object) -> None:
    recorded = seal(make_order())
    mine = copied(recorded)  # type: ignore[operator]
    mine.status = OrderStatus.CANCELLED
    assert mine.status is OrderStatus.CANCELLED
    assert recorded.status is OrderStatus.PENDING
    with pytest.raises(ValueError, match="status"):
        mine.status = "DONE"


def test_a_sealed_order_stays_sealed_through_pickle() -> None:
    order = make_order()
    recorded = pickle.loads(pickle.dumps(seal(order)))
    assert recorded == order
    with pytest.raises(TypeError):
        recorded.status = OrderStatus.OPEN


def test_evolve_returns_a_new_sealed_order_and_leaves_the_old_one() -> None:
    recorded = seal(make_order())
    later = T0 + timedelta(seconds=3)
    moved = evolve(recorded, status=OrderStatus.OPEN, updated_at=later)
    assert (moved.status, moved.updated_at) == (OrderStatus.OPEN, later)
    assert (recorded.status, recorded.updated_at) == (OrderStatus.PENDING, T0)
    with pytest.raises(TypeError):
        moved.status = OrderStatus.FILLED


def test_sealed_validates_a_stored_row_unless_told_not_to() -> None:
    order = make_order()
    fields = order.model_dump()
    assert sealed(dict(fields)) == order
    fields["quantity"] = Decimal(-1)
    with pytest.raises(ValueError, match="greater than 0"):
        sealed(dict(fields))
    assert sealed(dict(fields), validate=False).quantity == Decimal(-1)


def test_advance_steps_a_sealed_order_as_the_mutating_apply_does() -> None:
    order = seal(make_order())
    at = datetime(2025, 12, 1, 17, 0, 1, tzinfo=timezone(timedelta(hours=2)))
    event = Acked(at=at, connector_order_id="v-1")
    from orderdesk.model.fill import OrderFills  # noqa: PLC0415

    step = decide(order, OrderFills(order.quantity), event)
    moved = advance(order, step, event.at)
    assert (moved.status, moved.connector_order_id) == (OrderStatus.OPEN, "v-1")
    assert moved.updated_at == at
    assert moved.updated_at.tzinfo is UTC
    assert order.status is OrderStatus.PENDING
    nothing = decide(moved, OrderFills(order.quantity), Acked(at=T0, connector_order_id="v-1"))
    assert advance(moved, nothing, T0) is moved


@given(st.data())
def test_the_journal_order_payload_is_the_models_json_dump(data: st.DataObject) -> None:
    order = data.draw(orders(GROUP))
    assert order_json(order) == order.model_dump(mode="json")
    assert order_json(seal(order)) == order.model_dump(mode="json")


@given(st.data())
def test_the_journal_fill_payload_is_the_models_json_dump(data: st.DataObject) -> None:
    order = data.draw(orders(GROUP))
    fill = data.draw(fills_of(order, order.quantity, "t-1"))
    assert fill_json(fill) == fill.model_dump(mode="json")
    assert Filled(fill).at == fill.executed_at


def test_tiny_and_scaled_decimals_keep_their_positional_text() -> None:
    order = make_order(quantity="0.0000001", price="95000.00")
    fill = make_fill(order, "t-1", "0.0000001", "95000.10")
    assert order_json(order)["quantity"] == "0.0000001"
    assert order_json(order)["price"] == "95000.00"
    assert fill_json(fill)["quantity"] == "0.0000001"
    assert fill_json(fill) == fill.model_dump(mode="json")


def _venue_fill(**changes: object) -> VenueFill:
    fields: dict[str, object] = {
        "trade_id": "t-1",
        "venue_order_id": "v-1",
        "client_order_id": "c-1",
        "symbol": "BTC_USDT",
        "side": Side.BUY,
        "quantity": Decimal("0.5"),
        "price": Decimal("95000.10"),
        "fee": Decimal("-0.01"),
        "fee_asset": "USDT",
        "liquidity": Liquidity.MAKER,
        "executed_at": T0,
    }
    fields.update(changes)
    return VenueFill(**fields)  # type: ignore[arg-type]


def test_a_venue_fill_is_checked_where_it_enters_and_its_fill_equals_a_validated_one() -> None:
    order = make_order()
    fill = _venue_fill().to_fill(order.order_id)
    validated = Fill.model_validate({**fill.model_dump(), "fill_id": fill.fill_id})
    assert fill == validated
    assert fill_json(fill) == validated.model_dump(mode="json")
    with pytest.raises(ValidationError):
        fill.quantity = Decimal(1)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": Decimal(0)}, "greater than 0"),
        ({"price": Decimal("-1")}, "greater than 0"),
        ({"quantity": 0.5}, "float"),
        ({"trade_id": ""}, "trade_id"),
        ({"trade_id": "x" * 129}, "trade_id"),
        ({"fee_asset": "usdt"}, "fee_asset"),
        ({"fee": Decimal("NaN")}, "finite"),
        ({"executed_at": datetime(2025, 12, 1, 15)}, "naive"),
    ],
)
def test_a_venue_fill_with_a_bad_figure_is_refused_as_it_is_made(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _venue_fill(**changes)


def test_a_venue_fill_is_held_in_utc() -> None:
    at = datetime(2025, 12, 1, 17, 0, tzinfo=timezone(timedelta(hours=2)))
    assert _venue_fill(executed_at=at).executed_at.tzinfo is UTC
    with pytest.raises(ValueError, match="order id"):
        _venue_fill().to_fill("not-an-order")


@given(st.data())
def test_the_journal_group_payload_is_the_models_json_dump(data: st.DataObject) -> None:
    from orderdesk.ledger.entries import encode_group  # noqa: PLC0415
    from orderdesk.testing.ledger_kit import make_group  # noqa: PLC0415

    price = data.draw(st.none() | st.decimals(min_value="0.0001", max_value="99999", places=4))
    reason = data.draw(st.text(max_size=20))
    group = make_group(decision_price=price, reason=reason)
    assert encode_group(group) == {"group": group.model_dump(mode="json", exclude={"order_ids"})}


def test_the_group_of_an_order_equals_the_validated_group() -> None:
    from orderdesk.model import ExecutionGroup  # noqa: PLC0415
    from orderdesk.model.plans import group_of_order  # noqa: PLC0415

    order = make_order()
    made = group_of_order("acct-1", order, "unspecified")
    validated = ExecutionGroup(
        group_id=order.parent_group_id,
        account="acct-1",
        strategy="unspecified",
        symbol=order.symbol,
        side=order.side,
        created_at=order.created_at,
    )
    assert made == validated
    assert made.model_dump(mode="json") == validated.model_dump(mode="json")
    assert made.model_fields_set == set(ExecutionGroup.model_fields)
    assert made.model_copy(update={"reason": "r"}).reason == "r"
    assert made.reason == ""
