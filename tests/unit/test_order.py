"""The Order DTO: creation, ids, the documented examples, cross-field rules, mutability."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from orderdesk import Order, OrderStatus, OrderType, Side, TimeInForce
from orderdesk.model.ids import ORDER_ID
from orderdesk.model.order import symbol_of
from orderdesk.testing.examples import FILLED_MARKET_ORDER, NEW_LIMIT_ORDER

T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
GROUP = "EXG_20251201_145955_xyz789"


def limit_order(**overrides: Any) -> Order:
    fields: dict[str, Any] = {
        "parent_group_id": GROUP,
        "symbol": "BTC_USDT",
        "side": "BUY",
        "order_type": OrderType.LIMIT,
        "quantity": Decimal("0.5"),
        "price": Decimal("95000.00"),
        "status": OrderStatus.PENDING,
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(overrides)
    return Order(**fields)


class TestOrderCreation:
    def test_create_with_required_fields(self) -> None:
        order = Order(
            parent_group_id="EXG_20251201_145955_xyz789",
            symbol="BTC_USDT",
            side="BUY",
            order_type=OrderType.LIMIT,
            quantity=Decimal("0.5"),
            price=Decimal("95000.00"),
            status=OrderStatus.PENDING,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
        assert order.order_id.startswith("ORD_")
        assert order.side is Side.BUY
        assert order.connector_order_id is None
        assert order.time_in_force is TimeInForce.GTC

    def test_status_defaults_to_pending(self) -> None:
        order = Order.model_validate(
            {
                "parent_group_id": GROUP,
                "symbol": "ETH_USDT",
                "side": "SELL",
                "order_type": "MARKET",
                "quantity": "2.0",
                "created_at": T0,
                "updated_at": T0,
            }
        )
        assert order.status is OrderStatus.PENDING


class TestOrderIdValidation:
    def test_auto_generates_id_with_correct_prefix(self) -> None:
        order = limit_order()
        assert order.order_id.startswith("ORD_")
        assert ORDER_ID.fullmatch(order.order_id)

    def test_generated_id_carries_created_at_in_utc(self) -> None:
        created = datetime(2025, 12, 1, 16, 30, 5, tzinfo=timezone(timedelta(hours=1)))
        order = limit_order(created_at=created, updated_at=created)
        assert order.order_id.startswith("ORD_20251201_153005_")

    @pytest.mark.parametrize(
        "bad",
        [
            "ORD_20251201_150000_A1B2C3D4",  # upper-case hex
            "ORD_20251201_150000_a1b2c3d",  # 7 hex digits
            "ORD_2025120_150000_a1b2c3d4",
            "ord_20251201_150000_a1b2c3d4",
            "ORD_２0251201_150000_a1b2c3d4",  # full-width digit  # noqa: RUF001
            "ORD_20251201_150000_a1b2c3d4\n",
        ],
    )
    def test_rejects_ids_off_the_order_id_pattern(self, bad: str) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(order_id=bad)
        assert caught.value.errors()[0]["loc"] == ("order_id",)

    def test_an_explicit_empty_id_is_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(order_id="")
        assert caught.value.errors()[0]["loc"] == ("order_id",)

    def test_rejects_group_id_without_exg_prefix(self) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(parent_group_id="TPL_20251201_145955_xyz789")
        assert caught.value.errors()[0]["loc"] == ("parent_group_id",)


class TestOrderMutability:
    def test_can_update_status(self) -> None:
        order = limit_order()
        order.status = OrderStatus.FILLED
        assert order.status == OrderStatus.FILLED

    def test_can_update_connector_order_id_and_updated_at(self) -> None:
        order = limit_order()
        order.connector_order_id = "binance_order_12345678"
        order.updated_at = T0 + timedelta(seconds=2)
        assert order.connector_order_id == "binance_order_12345678"
        assert order.updated_at == T0 + timedelta(seconds=2)

    @pytest.mark.parametrize("field", ["order_id", "parent_group_id"])
    def test_identifiers_are_immutable(self, field: str) -> None:
        order = limit_order()
        before = getattr(order, field)
        with pytest.raises(ValidationError) as caught:
            setattr(order, field, "ORD_20251201_150000_00000000")
        assert caught.value.errors()[0]["type"] == "frozen_field"
        assert getattr(order, field) == before

    def test_assignment_is_validated(self) -> None:
        order = limit_order()
        with pytest.raises(ValidationError):
            order.status = "DONE"  # type: ignore[assignment]
        with pytest.raises(ValidationError):
            order.updated_at = T0 - timedelta(seconds=1)
        assert order.status is OrderStatus.PENDING
        assert order.updated_at == T0

    def test_unknown_fields_are_refused(self) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(filled_quantity=Decimal(1))
        assert caught.value.errors()[0]["type"] == "extra_forbidden"


class TestTheDocumentedExamples:
    @pytest.mark.parametrize("example", [NEW_LIMIT_ORDER, FILLED_MARKET_ORDER])
    def test_example_validates_and_serializes_to_the_same_values(
        self, example: dict[str, Any]
    ) -> None:
        order = Order.model_validate(example)
        dumped = json.loads(order.model_dump_json())
        assert {key: dumped[key] for key in example} == example
        assert dumped["time_in_force"] == "GTC"
        assert dumped["expire_at"] is None

    def test_json_round_trip_is_exact(self) -> None:
        order = Order.model_validate(NEW_LIMIT_ORDER)
        again = Order.model_validate_json(order.model_dump_json())
        assert again == order
        assert str(again.price) == "95000.00"

    def test_decimals_serialize_positionally_never_as_exponents(self) -> None:
        order = limit_order(quantity=Decimal("0.00000001"), price=Decimal("1E+2"))
        dumped = order.model_dump(mode="json")
        assert dumped["quantity"] == "0.00000001"
        assert dumped["price"] == "100"


class TestCrossFieldRules:
    def test_limit_needs_price(self) -> None:
        with pytest.raises(ValidationError, match="a LIMIT order needs a price"):
            limit_order(price=None)

    def test_stop_limit_needs_price_and_stop_price(self) -> None:
        with pytest.raises(ValidationError, match="needs a stop_price"):
            limit_order(order_type=OrderType.STOP_LIMIT)
        with pytest.raises(ValidationError, match="needs a price"):
            limit_order(order_type=OrderType.STOP_LIMIT, price=None, stop_price="94000")
        order = limit_order(order_type=OrderType.STOP_LIMIT, stop_price="94000")
        assert order.stop_price == Decimal(94000)

    @pytest.mark.parametrize(
        "fields", [{"price": "1"}, {"stop_price": "1"}, {"price": "1", "stop_price": "1"}]
    )
    def test_market_has_neither_price(self, fields: dict[str, str]) -> None:
        with pytest.raises(ValidationError, match="MARKET order takes neither"):
            limit_order(**{"order_type": OrderType.MARKET, "price": None, **fields})

    def test_stop_price_only_on_stop_limit(self) -> None:
        with pytest.raises(ValidationError, match="stop_price is only for STOP_LIMIT"):
            limit_order(stop_price="1")

    def test_naive_datetimes_are_rejected(self) -> None:
        naive = datetime(2025, 12, 1, 15, 0)
        with pytest.raises(ValidationError) as caught:
            limit_order(created_at=naive, updated_at=T0)
        assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
            (("created_at",), "timezone_aware")
        ]
        with pytest.raises(ValidationError) as caught:
            Order.model_validate({**NEW_LIMIT_ORDER, "updated_at": "2025-12-01T15:00:00"})
        assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
            (("updated_at",), "timezone_aware")
        ]

    def test_aware_datetimes_are_stored_in_utc(self) -> None:
        plus_two = timezone(timedelta(hours=2))
        order = limit_order(
            created_at=datetime(2025, 12, 1, 17, 0, tzinfo=plus_two),
            updated_at=datetime(2025, 12, 1, 17, 0, 1, tzinfo=plus_two),
        )
        assert order.created_at == T0
        assert order.created_at.tzinfo is UTC
        assert order.model_dump(mode="json")["updated_at"] == "2025-12-01T15:00:01Z"

    def test_updated_at_cannot_precede_created_at(self) -> None:
        with pytest.raises(ValidationError, match="updated_at is earlier than created_at"):
            limit_order(updated_at=T0 - timedelta(microseconds=1))

    def test_gtd_needs_a_later_expire_at(self) -> None:
        with pytest.raises(ValidationError, match="a GTD order needs expire_at"):
            limit_order(time_in_force=TimeInForce.GTD)
        with pytest.raises(ValidationError, match="expire_at must be later"):
            limit_order(time_in_force=TimeInForce.GTD, expire_at=T0)
        order = limit_order(time_in_force="GTD", expire_at=T0 + timedelta(hours=1))
        assert order.expire_at == T0 + timedelta(hours=1)

    def test_expire_at_only_on_gtd(self) -> None:
        with pytest.raises(ValidationError, match="expire_at is only for GTD"):
            limit_order(expire_at=T0 + timedelta(hours=1))

    @pytest.mark.parametrize(
        "symbol",
        ["btc_usdt", "BTCUSDT", "BTC-USDT", "BTC_USDT_X", "ＢTC_USDT"],  # noqa: RUF001
    )
    def test_symbol_follows_the_symbol_pattern(self, symbol: str) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(symbol=symbol)
        assert caught.value.errors()[0]["loc"] == ("symbol",)

    def test_side_must_be_buy_or_sell(self) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(side="buy")
        assert caught.value.errors()[0]["loc"] == ("side",)


class TestDecimalFields:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("0.5", "0.5"), (3, "3"), (Decimal("95000.00"), "95000.00"), ("0007.10", "7.10")],
    )
    def test_accepts_str_int_and_decimal_keeping_scale(self, raw: object, expected: str) -> None:
        order = limit_order(quantity=raw)
        assert order.model_dump(mode="json")["quantity"] == expected

    @pytest.mark.parametrize(
        "bad",
        [0.5, True, "1e3", " 1", "1 ", "1_000", "NaN", "Infinity", "-0", "-1", "0", "0.000",
         "٣", "1.", ".5", "+1", "1.0000000000000000001", Decimal("NaN"), Decimal("-0"),
         Decimal("sNaN"), Decimal("Infinity"), Decimal("1E-19"), Decimal("-2"), 0, -1, None,
         "123456789012345678901", b"1"],
    )  # fmt: skip
    def test_rejects_bad_quantities_naming_field_and_value(self, bad: object) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(quantity=bad)
        error = caught.value.errors()[0]
        assert error["loc"] == ("quantity",)
        assert error["input"] is bad or error["input"] == bad


class TestDecimalMessages:
    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ("1.0000000000000000001", "more than 18 decimal places"),
            ("123456789012345678901", "more than 20 integer digits"),
            ("-5", "must be greater than 0"),
            ("0", "must be greater than 0"),
            ("1e3", "is not a decimal string of the form"),
            (0.5, "is a float; give a str, int or Decimal"),
        ],
    )
    def test_the_error_says_what_is_wrong_with_the_value(self, bad: object, message: str) -> None:
        with pytest.raises(ValidationError) as caught:
            limit_order(price=bad)
        (error,) = caught.value.errors()
        assert error["loc"] == ("price",)
        assert message in error["msg"]
        assert repr(bad) in error["msg"]


@pytest.mark.parametrize(
    ("typed", "symbol"),
    [
        ("BTC/USDT", "BTC_USDT"),
        ("btc/usdt", "BTC_USDT"),
        ("eth_usdt", "ETH_USDT"),
        (" BTC_USDT ", "BTC_USDT"),
        ("BTC-USDT", "BTC-USDT"),  # left for the pattern to refuse
        ("BTC/USDT:USDT", "BTC/USDT:USDT"),  # a ccxt swap: not a spot symbol
    ],
)
def test_a_symbol_as_typed_is_read_in_orderdesks_form(typed: str, symbol: str) -> None:
    assert symbol_of(typed) == symbol
