"""The price and time-in-force rules: one pair of functions, called by the Order and by the
SubmitRequest, so both refuse the same combinations with the same words."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from orderdesk import Order, OrderType, Side, SubmitRequest, TimeInForce
from orderdesk.model.order_rules import check_prices, check_time_in_force
from orderdesk.testing.factories import T0

D = Decimal
LATER = T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("order_type", "price", "stop_price", "message"),
    [
        (OrderType.MARKET, None, None, None),
        (OrderType.MARKET, D("1"), None, "a MARKET order takes neither price nor stop_price"),
        (OrderType.MARKET, None, D("1"), "a MARKET order takes neither price nor stop_price"),
        (OrderType.LIMIT, D("1"), None, None),
        (OrderType.LIMIT, None, None, "a LIMIT order needs a price"),
        (OrderType.LIMIT, None, D("1"), "a LIMIT order needs a price"),
        (OrderType.LIMIT, D("1"), D("1"), "stop_price is only for STOP_LIMIT orders"),
        (OrderType.STOP_LIMIT, D("1"), D("1"), None),
        (OrderType.STOP_LIMIT, None, D("1"), "a STOP_LIMIT order needs a price"),
        (OrderType.STOP_LIMIT, D("1"), None, "a STOP_LIMIT order needs a stop_price"),
    ],
)
def test_each_order_type_takes_exactly_its_prices(
    order_type: OrderType, price: Decimal | None, stop_price: Decimal | None, message: str | None
) -> None:
    if message is None:
        check_prices(order_type, price, stop_price)
        return
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - the message is compared whole
        check_prices(order_type, price, stop_price)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("time_in_force", "expire_at", "created_at", "message"),
    [
        (TimeInForce.GTC, None, None, None),
        (TimeInForce.IOC, None, T0, None),
        (TimeInForce.FOK, None, T0, None),
        (TimeInForce.GTD, LATER, None, None),
        (TimeInForce.GTD, LATER, T0, None),
        (TimeInForce.GTD, None, T0, "a GTD order needs expire_at"),
        (TimeInForce.GTD, T0, T0, "expire_at must be later than created_at"),
        (TimeInForce.GTD, datetime(2025, 12, 1), None, "expire_at must be timezone-aware"),
        (TimeInForce.GTC, LATER, T0, "expire_at is only for GTD orders"),
        (TimeInForce.IOC, LATER, None, "expire_at is only for GTD orders"),
    ],
)
def test_only_a_gtd_order_expires_and_it_must(
    time_in_force: TimeInForce,
    expire_at: datetime | None,
    created_at: datetime | None,
    message: str | None,
) -> None:
    if message is None:
        check_time_in_force(time_in_force, expire_at, created_at)
        return
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - the message is compared whole
        check_time_in_force(time_in_force, expire_at, created_at)
    assert str(caught.value) == message


def order_refusal(fields: dict[str, Any]) -> str | None:
    """The Order's one refusal of ``fields`` in words, or ``None`` if it accepts them."""
    given: dict[str, Any] = {"parent_group_id": "EXG_20251201_145955_xyz789", "symbol": "BTC_USDT"}
    given |= {"side": "BUY", "quantity": "1", "created_at": T0, "updated_at": T0}
    try:
        Order.model_validate({**given, **fields})
    except ValidationError as error:
        (only,) = error.errors()
        return str(only["ctx"]["error"])
    return None


def request_refusal(fields: dict[str, Any]) -> str | None:
    """The SubmitRequest's refusal of ``fields`` in words, or ``None`` if it accepts them."""
    try:
        SubmitRequest("c1", "BTC_USDT", Side.BUY, quantity=D("1"), **fields)
    except ValueError as error:
        return str(error)
    return None


GRID: list[dict[str, Any]] = [
    {
        "order_type": order_type,
        "price": price,
        "stop_price": stop,
        "time_in_force": time_in_force,
        "expire_at": expire_at,
    }
    for order_type, price, stop, time_in_force, expire_at in itertools.product(
        OrderType, (None, D("100")), (None, D("99")), TimeInForce, (None, LATER)
    )
]


def test_the_order_and_the_request_refuse_the_same_combinations_with_the_same_words() -> None:
    refusals = {
        (f["order_type"], f["price"], f["stop_price"], f["time_in_force"], f["expire_at"]): (
            order_refusal(f),
            request_refusal(f),
        )
        for f in GRID
    }
    assert len(refusals) == 3 * 2 * 2 * 4 * 2
    differ = {key: pair for key, pair in refusals.items() if pair[0] != pair[1]}
    assert differ == {}
    accepted = sorted(
        (str(key[0]), str(key[3])) for key, (refused, _) in refusals.items() if refused is None
    )
    assert accepted == sorted(
        (kind, tif)
        for kind in ("MARKET", "LIMIT", "STOP_LIMIT")
        for tif in ("GTC", "IOC", "FOK", "GTD")
    )
