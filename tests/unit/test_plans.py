"""TradePlan and ExecutionGroup: the causality records above an order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from orderdesk import ExecutionGroup, TradePlan, generate_group_id, generate_plan_id
from orderdesk.testing.factories import T0, make_order


def make_plan() -> TradePlan:
    return TradePlan(
        plan_id=generate_plan_id(T0),
        account="acct-1",
        strategy="mean-reversion",
        symbol="BTC_USDT",
        side="BUY",
        decision_price="95000.10",
        reason="z-score below -2",
        created_at=T0,
    )


def test_a_group_links_its_plan_and_collects_its_orders() -> None:
    plan = make_plan()
    group = ExecutionGroup(
        group_id=generate_group_id(T0),
        plan_id=plan.plan_id,
        account=plan.account,
        strategy=plan.strategy,
        symbol=plan.symbol,
        side=plan.side,
        created_at=T0,
    )
    first, second = make_order(parent_group_id=group.group_id), make_order()
    grown = ExecutionGroup.model_validate(
        {**group.model_dump(), "order_ids": [first.order_id, second.order_id]}
    )
    assert grown.order_ids == (first.order_id, second.order_id)
    assert group.order_ids == ()
    assert grown.plan_id == plan.plan_id
    assert plan.decision_price == Decimal("95000.10")


def test_plans_are_immutable() -> None:
    plan = make_plan()
    with pytest.raises(ValidationError):
        plan.reason = "changed my mind"  # type: ignore[misc]


def test_a_group_refuses_a_malformed_order_id() -> None:
    group = ExecutionGroup(
        group_id="EXG_20251201_145955_xyz789",
        account="acct-1",
        strategy="s",
        symbol="BTC_USDT",
        side="SELL",
        created_at=T0,
    )
    with pytest.raises(ValueError, match="String should match pattern") as caught:
        ExecutionGroup.model_validate({**group.model_dump(), "order_ids": ["ORD_1"]})
    assert isinstance(caught.value, ValidationError)
    assert [(e["loc"], e["input"]) for e in caught.value.errors()] == [(("order_ids", 0), "ORD_1")]
    with pytest.raises(ValidationError):
        ExecutionGroup.model_validate({**group.model_dump(), "order_ids": ["nope"]})


@pytest.mark.parametrize("account", ["", " acct", "a" * 65, "acct/1", "ｱ"])
def test_account_names_are_plain_ascii(account: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TradePlan.model_validate({**make_plan().model_dump(), "account": account})
    assert caught.value.errors()[0]["loc"] == ("account",)
