"""The loopback venue's Binance parameters for STOP_LIMIT (STOP_LOSS_LIMIT) and GTD orders."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderdesk.model import OrderStatus, OrderType, Side, TimeInForce, VenueOrder
from orderdesk.venues.loopback.binance import ApiError, order_from_json, order_json
from orderdesk.venues.loopback.state import Payload, submit_request

BASE: Payload = {
    "symbol": "BTC_USDT", "side": "SELL", "quantity": "0.01", "price": "96000",
    "newClientOrderId": "c-1",
}  # fmt: skip
EXPIRY = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def test_stop_loss_limit_is_a_stop_limit_with_its_stop_price() -> None:
    request = submit_request(BASE | {"type": "STOP_LOSS_LIMIT", "stopPrice": "95500"})
    assert (request.order_type, request.price, request.stop_price) == (
        OrderType.STOP_LIMIT, Decimal("96000"), Decimal("95500")
    )  # fmt: skip


def test_gtd_takes_good_till_date_in_epoch_milliseconds() -> None:
    millis = str(int(EXPIRY.timestamp() * 1000))
    request = submit_request(BASE | {"type": "LIMIT", "timeInForce": "GTD", "goodTillDate": millis})
    assert (request.time_in_force, request.expire_at) == (TimeInForce.GTD, EXPIRY)


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ({"timeInForce": "GTD"}, -1102, "Mandatory parameter 'goodTillDate' was not sent."),
        ({"timeInForce": "GTD", "goodTillDate": "soon"}, -1100,
         "Illegal characters found in parameter 'goodTillDate'."),
        ({"timeInForce": "GTC", "goodTillDate": "1767323045678"}, -1106,
         "Parameter 'goodTillDate' sent when not required."),
    ],
)  # fmt: skip
def test_bad_gtd_parameters_are_binance_errors(extra: Payload, code: int, message: str) -> None:
    with pytest.raises(ApiError) as raised:
        submit_request(BASE | {"type": "LIMIT"} | extra)
    assert (raised.value.http, raised.value.code, raised.value.msg) == (400, code, message)


def test_an_order_keeps_its_stop_and_expiry_through_binance_json() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    order = VenueOrder(
        venue_order_id="7", client_order_id="c-1", symbol="BTC_USDT", side=Side.SELL,
        order_type=OrderType.STOP_LIMIT, time_in_force=TimeInForce.GTD,
        quantity=Decimal("0.01"), price=Decimal("96000"), stop_price=Decimal("95500"),
        status=OrderStatus.OPEN, filled_quantity=Decimal(0), filled_notional=Decimal(0),
        created_at=at, updated_at=at, expire_at=EXPIRY,
    )  # fmt: skip
    shown = order_json(order)
    assert (shown["type"], shown["timeInForce"], shown["goodTillDate"]) == (
        "STOP_LOSS_LIMIT", "GTD", 1767323045678
    )  # fmt: skip
    assert order_from_json(shown, "BTC_USDT") == order
