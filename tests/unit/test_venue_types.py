"""The venue boundary's value types and the report-to-lifecycle-event mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderdesk.model import (
    Acked,
    Cancelled,
    ExecutionReport,
    Expired,
    Filled,
    Liquidity,
    Market,
    Order,
    OrderFills,
    OrderStatus,
    OrderType,
    RejectCode,
    Rejected,
    ReportKind,
    Side,
    SubmitRequest,
    TimeInForce,
    VenueFill,
    VenueOrder,
    apply,
    to_event,
)

AT = datetime(2025, 12, 1, 15, 0, 3, tzinfo=UTC)
ORDER_ID = "ORD_20251201_150000_a1b2c3d4"
D = Decimal
MARKET = Market("BTC_USDT", "BTC", "USDT", D("0.01"), D("0.001"), D("0.01"), D("5"), D("100"))


def report(kind: ReportKind, fill: VenueFill | None = None) -> ExecutionReport:
    return ExecutionReport(
        seq=1,
        kind=kind,
        at=AT,
        venue_order_id="17",
        client_order_id="c1",
        symbol="BTC_USDT",
        status=OrderStatus.OPEN,
        filled_quantity=D(0),
        fill=fill,
        reason="filter failure",
        code="PRICE_NOT_ON_TICK",
    )


FILL = VenueFill(
    trade_id="9",
    venue_order_id="17",
    client_order_id="c1",
    symbol="BTC_USDT",
    side=Side.BUY,
    quantity=D("0.2"),
    price=D("94999.50"),
    fee=D("0.0002"),
    fee_asset="BTC",
    liquidity=Liquidity.MAKER,
    executed_at=AT,
)


def test_each_report_kind_maps_onto_its_lifecycle_event() -> None:
    assert to_event(report(ReportKind.ACK), ORDER_ID) == Acked(AT, connector_order_id="17")
    assert to_event(report(ReportKind.CANCELLED), ORDER_ID) == Cancelled(AT)
    assert to_event(report(ReportKind.EXPIRED), ORDER_ID) == Expired(AT)
    assert to_event(report(ReportKind.REJECTED), ORDER_ID) == Rejected(
        AT, "filter failure", "PRICE_NOT_ON_TICK"
    )
    filled = to_event(report(ReportKind.FILL, FILL), ORDER_ID)
    assert isinstance(filled, Filled)
    fill = filled.fill
    assert (fill.order_id, fill.trade_id, fill.quantity, fill.price, fill.fee, fill.fee_asset) == (
        ORDER_ID,
        "9",
        D("0.2"),
        D("94999.50"),
        D("0.0002"),
        "BTC",
    )


def test_mapped_reports_drive_an_order_through_the_lifecycle() -> None:
    order = Order.model_validate(
        {
            "order_id": ORDER_ID,
            "parent_group_id": "EXG_20251201_145955_xyz789",
            "symbol": "BTC_USDT",
            "side": "BUY",
            "order_type": "LIMIT",
            "quantity": "0.2",
            "price": "95000.00",
            "created_at": datetime(2025, 12, 1, 15, tzinfo=UTC),
            "updated_at": datetime(2025, 12, 1, 15, tzinfo=UTC),
        }
    )
    fills = OrderFills(order.quantity)

    for kind, fill in ((ReportKind.ACK, None), (ReportKind.FILL, FILL), (ReportKind.FILL, FILL)):
        apply(order, fills, to_event(report(kind, fill), ORDER_ID))

    assert (order.status, order.connector_order_id, fills.filled_quantity) == (
        OrderStatus.FILLED,
        "17",
        D("0.2"),
    )


def test_a_fill_report_without_its_fill_is_refused() -> None:
    with pytest.raises(ValueError, match="carries no fill"):
        to_event(report(ReportKind.FILL), ORDER_ID)


def test_report_json_is_canonical() -> None:
    text = report(ReportKind.FILL, FILL).to_json()

    assert text.startswith('{"at":"2025-12-01T15:00:03Z","client_order_id":"c1"')
    assert '"price":"94999.50"' in text


@pytest.mark.parametrize(
    ("quantity", "price", "code"),
    [
        ("1", "99.00", None),
        ("1", "99.001", RejectCode.PRICE_NOT_ON_TICK),
        ("1.0001", "99.00", RejectCode.QUANTITY_NOT_ON_STEP),
        ("0.009", "99.00", RejectCode.BELOW_MIN_QUANTITY),
        ("101", "99.00", RejectCode.ABOVE_MAX_QUANTITY),
        ("0.05", "99.00", RejectCode.BELOW_MIN_NOTIONAL),
        ("0.05", None, None),
    ],
)
def test_market_filters_name_the_first_violation(
    quantity: str, price: str | None, code: RejectCode | None
) -> None:
    assert MARKET.violation(D(quantity), None if price is None else D(price)) is code


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order_type": OrderType.MARKET, "price": D("1")},
        {"order_type": OrderType.LIMIT},
        {"order_type": OrderType.LIMIT, "price": D("1"), "stop_price": D("1")},
        {"order_type": OrderType.STOP_LIMIT, "price": D("1")},
        {"order_type": OrderType.LIMIT, "price": D("-1")},
        {"order_type": OrderType.LIMIT, "price": D("NaN")},
        {"order_type": OrderType.MARKET, "quantity": D("0")},
        {"order_type": OrderType.MARKET, "quantity": 1.5},
        {"order_type": OrderType.MARKET, "time_in_force": TimeInForce.GTD},
        {"order_type": OrderType.MARKET, "expire_at": AT},
        {"order_type": OrderType.MARKET, "client_order_id": ""},
    ],
    ids=[
        "market with price",
        "limit without price",
        "limit with stop",
        "stop without stop price",
        "negative price",
        "NaN price",
        "zero quantity",
        "float quantity",
        "GTD without expiry",
        "expiry without GTD",
        "empty client id",
    ],
)
def test_inconsistent_submit_requests_are_refused(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "client_order_id": "c1",
        "symbol": "BTC_USDT",
        "side": Side.BUY,
        "quantity": D("1"),
    }
    fields.update(kwargs)
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        SubmitRequest(**fields)  # type: ignore[arg-type]


def test_a_venue_order_knows_its_average_price() -> None:
    order = VenueOrder(
        venue_order_id="17",
        client_order_id="c1",
        symbol="BTC_USDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        quantity=D("3"),
        price=D("101.00"),
        stop_price=None,
        status=OrderStatus.PARTIALLY_FILLED,
        filled_quantity=D("2"),
        filled_notional=D("201.00"),
        created_at=AT,
        updated_at=AT,
    )

    assert (order.average_price, order.remaining_quantity, order.is_open) == (
        D("100.5"),
        D("1"),
        True,
    )


def test_a_market_needs_positive_tick_and_step() -> None:
    with pytest.raises(ValueError, match="tick_size"):
        Market("BTC_USDT", "BTC", "USDT", D("0"), D("0.001"), D("0.01"), D("5"))
