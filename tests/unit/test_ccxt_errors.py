"""ccxt's exceptions become orderdesk's through one table: every row, every class ccxt exports.

Each row is checked twice: the error it translates to and the retry action that error gets
per operation (the broker's table), and what the connector does with it at the submit, the
cancel and the query (a fake exchange, a subclass of ccxt's binance, raises it).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest

pytest.importorskip("ccxt")

import ccxt
from ccxt.async_support import binance as async_binance
from pydantic import SecretStr

from orderdesk.broker.retry import Operation, action_for
from orderdesk.errors import Banned, RateLimited, VenueError
from orderdesk.model import (
    CancelOutcome,
    OrderStatus,
    OrderType,
    RejectCode,
    Side,
    SubmitRequest,
)
from orderdesk.venues.ccxt import CCXT_ERRORS, CcxtConnector, Credentials
from orderdesk.venues.ccxt.errors import (
    IpBanned,
    TooManyRequests,
    redact,
    reject_code,
    translate,
    translation_of,
)
from orderdesk.venues.ccxt.exchange import CCXT_LOGGER, RedactingLogger
from orderdesk.venues.ccxt.parsing import order_from_ccxt
from orderdesk.venues.loopback import ccxt_urls

T = TypeVar("T")
R, RA, RS, G = "retry", "retry after", "resolve", "give up"
NOT_SENT = ("NotSent", None, (R, R, R))
UNKNOWN = ("OutcomeUnknown", None, (RS, R, R))
INVALID = ("NotSent", RejectCode.INVALID_ORDER, (R, R, R))
RATE = ("RateLimited", None, (RA, RA, RA))
BAN = ("Banned", None, (G, RA, G))

# ccxt class name -> (orderdesk error, reject code of the venue's "no", (submit, cancel, query))
EXPECTED: dict[str, tuple[str, RejectCode | None, tuple[str, str, str]]] = {
    "BaseError": UNKNOWN,
    "ExchangeError": UNKNOWN,
    "AuthenticationError": NOT_SENT,
    "PermissionDenied": NOT_SENT,
    "AccountNotEnabled": NOT_SENT,
    "AccountSuspended": NOT_SENT,
    "ArgumentsRequired": NOT_SENT,
    "NotSupported": NOT_SENT,
    "InvalidProxySettings": NOT_SENT,
    "ExchangeClosedByUser": NOT_SENT,
    "InvalidAddress": NOT_SENT,
    "AddressPending": NOT_SENT,
    "ManualInteractionNeeded": NOT_SENT,
    "RestrictedLocation": NOT_SENT,
    "UnsubscribeError": NOT_SENT,
    "OrderNotCached": NOT_SENT,
    "BadRequest": INVALID,
    "BadSymbol": ("NotSent", RejectCode.UNKNOWN_SYMBOL, (R, R, R)),
    "OperationRejected": INVALID,
    "NoChange": INVALID,
    "MarginModeAlreadySet": INVALID,
    "MarketClosed": INVALID,
    "InsufficientFunds": ("NotSent", RejectCode.INSUFFICIENT_BALANCE, (R, R, R)),
    "InvalidOrder": INVALID,
    "OrderNotFound": INVALID,
    "OrderImmediatelyFillable": INVALID,
    "OrderNotFillable": INVALID,
    "DuplicateOrderId": ("NotSent", RejectCode.DUPLICATE_CLIENT_ORDER_ID, (R, R, R)),
    "ContractUnavailable": ("NotSent", RejectCode.UNKNOWN_SYMBOL, (R, R, R)),
    "OperationFailed": UNKNOWN,
    "NetworkError": UNKNOWN,
    "ExchangeNotAvailable": UNKNOWN,
    "RequestTimeout": UNKNOWN,
    "BadResponse": UNKNOWN,
    "NullResponse": UNKNOWN,
    "CancelPending": UNKNOWN,
    "OnMaintenance": NOT_SENT,
    "InvalidNonce": NOT_SENT,
    "ChecksumError": NOT_SENT,
    "DDoSProtection": BAN,
    "RateLimitExceeded": RATE,
    "ConnectFailed": NOT_SENT,
    "TooManyRequests": RATE,
    "IpBanned": BAN,
}
OPERATIONS = (Operation.SUBMIT, Operation.CANCEL, Operation.QUERY)
ROWS = sorted(CCXT_ERRORS, key=lambda klass: klass.__name__)


def ccxt_exceptions() -> list[type[BaseException]]:
    """Every exception class the ccxt package exports at its top level."""
    return sorted(
        {
            value
            for value in vars(ccxt).values()
            if inspect.isclass(value) and issubclass(value, BaseException)
        },
        key=lambda klass: klass.__name__,
    )


def make(klass: type[BaseException], message: str = 'binance {"code": -1, "msg": "no"}') -> Any:
    return klass(message)


def test_the_table_is_the_documented_table() -> None:
    table = {klass.__name__: (row.error.__name__, row.reject) for klass, row in CCXT_ERRORS.items()}
    assert table == {name: (error, reject) for name, (error, reject, _) in EXPECTED.items()}


def test_every_exception_ccxt_exports_is_covered_by_the_table_through_its_hierarchy() -> None:
    exported = ccxt_exceptions()
    assert len(exported) >= 40  # ccxt 4.x exports some 41: the lookup below is not vacuous
    for klass in exported:
        covering = [k for k in klass.__mro__ if k in CCXT_ERRORS]
        assert covering, klass
        assert translation_of(make(klass)) is CCXT_ERRORS[covering[0]]
        assert issubclass(translation_of(make(klass)).error, VenueError)


def test_a_class_ccxt_adds_later_takes_its_parents_row() -> None:
    class FutureRejection(ccxt.InvalidOrder):  # type: ignore[misc]
        pass

    assert translation_of(FutureRejection("x")) is CCXT_ERRORS[ccxt.InvalidOrder]


def test_something_that_is_not_a_ccxt_error_is_refused() -> None:
    with pytest.raises(TypeError, match="ValueError is not a ccxt error"):
        translation_of(ValueError("x"))


@pytest.mark.parametrize("klass", ROWS, ids=lambda k: k.__name__)
def test_each_row_translates_to_its_error_and_retry_actions(klass: type[BaseException]) -> None:
    error_name, reject, actions = EXPECTED[klass.__name__]
    translated = translate(make(klass), "binance", "submit")
    assert type(translated).__name__ == error_name
    assert tuple(action_for(op, translated).value for op in OPERATIONS) == actions
    assert translation_of(make(klass)).venue_no is (reject is not None)
    if isinstance(translated, RateLimited | Banned):
        assert translated.retry_after == 1.0  # no Retry-After known: one second
    else:
        assert translated.detail == f'{klass.__name__}: binance {{"code": -1, "msg": "no"}}'


def test_a_429_and_a_418_carry_the_venues_retry_after() -> None:
    limited = translate(TooManyRequests("slow down", 7.0), "binance", "submit")
    banned = translate(IpBanned("banned", 120.0), "binance", "cancel")
    assert (type(limited), limited.retry_after) == (RateLimited, 7.0)  # type: ignore[attr-defined]
    assert (type(banned), banned.retry_after) == (Banned, 120.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ('binance {"code": -2010, "msg": "Duplicate order sent."}', "DUPLICATE_CLIENT_ORDER_ID"),
        ('binance {"code": -1013, "msg": "Filter failure: PRICE_FILTER"}', "PRICE_NOT_ON_TICK"),
        ('binance {"code": -1013, "msg": "Filter failure: LOT_SIZE"}', "QUANTITY_NOT_ON_STEP"),
        ('binance {"code": -1013, "msg": "Filter failure: NOTIONAL"}', "BELOW_MIN_NOTIONAL"),
        ("binance Account has insufficient balance for requested action.", "INSUFFICIENT_BALANCE"),
        ('binance {"code": -2010, "msg": "Market is closed."}', "INVALID_ORDER"),
    ],
)
def test_a_rejections_code_comes_from_the_venues_message_first(message: str, code: str) -> None:
    assert reject_code(ccxt.InvalidOrder(message)).value == code


def test_secrets_are_redacted_plain_and_url_encoded() -> None:
    text = "key=k/ey+1 secret k%2Fey%2B1 and k/ey+1"
    assert redact(text, ["k/ey+1"]) == "key=********** secret ********** and **********"
    assert redact("nothing here", ["k/ey+1"]) == "nothing here"


def test_the_ccxt_logger_strips_secrets_at_every_level(caplog: pytest.LogCaptureFixture) -> None:
    logger = RedactingLogger(logging.getLogger(CCXT_LOGGER), ["canary-K", "canary-S"])
    with caplog.at_level(logging.DEBUG, logger=CCXT_LOGGER):
        logger.debug("%s %s, Request: %s %s", "POST", "url", {"X-MBX-APIKEY": "canary-K"}, None)
        logger.warning("secret canary-S leaked")
        logger.error("bad format %d", "x")  # a record ccxt formats wrongly still goes out
    assert [r.getMessage() for r in caplog.records] == [
        "POST url, Request: {'X-MBX-APIKEY': '**********'} None",
        "secret ********** leaked",
        "bad format %d x",
    ]
    assert "canary" not in caplog.text


# --- the connector, on a fake exchange: ccxt's binance with canned markets ---------------

QUICK = {"timeout_on_exit": 0}  # ccxt waits 250 ms on close for TLS sessions: none here
MARKET = {
    "symbol": "BTC/USDT",
    "spot": True,
    "active": True,
    "precision": {"price": "0.01", "amount": "0.00001"},
    "limits": {"amount": {"min": "0.00001", "max": "9000"}, "cost": {"min": "5"}},
}


class FakeBinance(async_binance):  # type: ignore[misc]
    """ccxt's binance with canned markets; every order call raises ``failure``."""

    failure: BaseException = AssertionError("must not be sent")
    calls: list[str] = []  # noqa: RUF012 - reset by fake_binance()
    found: dict[str, Any] | None = None

    async def load_markets(self, reload: bool = False, params: Any = None) -> Any:
        self.precisionMode = ccxt.TICK_SIZE
        return {"BTC/USDT": MARKET}

    async def _fail(self, name: str) -> Any:
        FakeBinance.calls.append(name)
        raise FakeBinance.failure

    async def create_order(self, *args: Any, **kwargs: Any) -> Any:
        return await self._fail("create_order")

    async def cancel_order(self, *args: Any, **kwargs: Any) -> Any:
        return await self._fail("cancel_order")

    async def fetch_order(self, *args: Any, **kwargs: Any) -> Any:
        if FakeBinance.found is not None:
            FakeBinance.calls.append("fetch_order")
            return FakeBinance.found
        return await self._fail("fetch_order")


def fake_binance(failure: BaseException | None = None) -> type[FakeBinance]:
    """Return the fake, set to raise ``failure``, its calls forgotten."""
    FakeBinance.failure = failure or AssertionError("must not be sent")
    FakeBinance.calls = []
    FakeBinance.found = None
    return FakeBinance


def run(make_call: Callable[[CcxtConnector], Awaitable[T]], exchange: type) -> T:
    async def main() -> T:
        connector = CcxtConnector("binance", exchange_class=exchange, watch=False, config=QUICK)
        async with connector:
            return await make_call(connector)

    return asyncio.run(main())


REQUEST = SubmitRequest(
    "ORD_20251201_150000_a1b2c3d4", "BTC_USDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"),
    price=Decimal("95000.00"),
)  # fmt: skip


@pytest.mark.parametrize("klass", ROWS, ids=lambda k: k.__name__)
def test_each_row_at_the_submit_is_a_rejection_or_its_error(klass: type[BaseException]) -> None:
    error_name, reject, _ = EXPECTED[klass.__name__]
    exchange = fake_binance(make(klass))
    if reject is None:
        with pytest.raises(VenueError) as raised:
            run(lambda c: c.submit(REQUEST), exchange)
        assert type(raised.value).__name__ == error_name
        assert raised.value.__suppress_context__  # ccxt's text (maybe a request) not chained
    else:
        result = run(lambda c: c.submit(REQUEST), exchange)
        assert (result.status, result.reject_code) == (OrderStatus.REJECTED, reject)
        assert result.reason == 'binance {"code": -1, "msg": "no"}'
    assert exchange.calls == ["create_order"]


@pytest.mark.parametrize("klass", ROWS, ids=lambda k: k.__name__)
def test_each_row_at_the_cancel_and_query_is_not_found_or_its_error(
    klass: type[BaseException],
) -> None:
    error_name, reject, _ = EXPECTED[klass.__name__]
    exchange = fake_binance(make(klass))

    async def both(connector: CcxtConnector) -> tuple[object, object]:
        outcomes: list[object] = []
        for call in (
            lambda: connector.cancel("BTC_USDT", client_order_id="c1"),
            lambda: connector.query("BTC_USDT", client_order_id="c1"),
        ):
            try:
                outcomes.append(await call())
            except VenueError as error:
                outcomes.append(type(error).__name__)
        return outcomes[0], outcomes[1]

    cancelled, queried = run(both, exchange)
    if reject is None:
        assert (cancelled, queried) == (error_name, error_name)
        assert exchange.calls == ["cancel_order", "fetch_order"]
    else:  # the venue's "no": the cancel asks after the order, finds nothing
        assert getattr(cancelled, "outcome", None) is CancelOutcome.NOT_FOUND
        assert queried is None
        assert exchange.calls == ["cancel_order", "fetch_order", "fetch_order"]


def test_an_order_off_the_tick_is_rejected_unsent_where_ccxt_would_round_it() -> None:
    exchange = fake_binance(AssertionError("must not be sent"))
    off_tick = SubmitRequest(
        "c1", "BTC_USDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), price=Decimal("95000.005")
    )
    result = run(lambda c: c.submit(off_tick), exchange)
    assert (result.status, result.reject_code) == (OrderStatus.REJECTED, "PRICE_NOT_ON_TICK")
    assert exchange.calls == []


def test_the_connector_reads_ccxts_markets_as_filters() -> None:
    markets = run(lambda c: c.markets(), fake_binance())
    market = markets["BTC_USDT"]
    assert (market.base_asset, market.quote_asset) == ("BTC", "USDT")
    assert (market.tick_size, market.step_size) == (Decimal("0.01"), Decimal("0.00001"))
    assert (market.min_quantity, market.min_notional) == (Decimal("0.00001"), Decimal(5))
    assert market.max_quantity == Decimal(9000)


def test_a_refused_connection_is_not_sent() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"

    async def main() -> list[str]:
        credentials = Credentials(SecretStr("refused-key"), SecretStr("refused-secret"))
        connector = CcxtConnector(
            "binance",
            credentials,
            api_urls=ccxt_urls(base),
            config={**QUICK, "options": {"fetchMarkets": {"types": ["spot"]}}},
            watch=False,
        )
        out = []
        async with connector:
            for call in (connector.markets, connector.balances):
                try:
                    await call()
                except VenueError as error:
                    out.append(f"{type(error).__name__}: {error}")
        return out

    found = asyncio.run(main())
    assert [text.split(f" {base}/")[0] for text in found] == [
        "NotSent: binance markets: ConnectFailed: binance GET",
        "NotSent: binance balances: ConnectFailed: binance GET",
    ]


@pytest.mark.parametrize("exchange_id", ["binance", "okx", "bybit", "kraken"])
def test_each_exchange_has_its_client_id_codec(exchange_id: str) -> None:
    order_id = "ORD_20251201_150000_a1b2c3d4"
    connector = CcxtConnector(exchange_id, watch=False, config=QUICK)
    try:
        client_id = connector.codec.encode(order_id)
        assert connector.codec.venue == exchange_id
        assert connector.codec.decode(client_id) == order_id
        assert connector.exchange.options["maxRetriesOnFailure"] == 0
        assert connector.exchange.enableRateLimit is True
    finally:
        asyncio.run(connector.close())
    assert {
        "binance": order_id,
        "okx": "ORD20251201150000a1b2c3d4",
        "bybit": order_id,
        "kraken": "000000000020251201150000a1b2c3d4",
    }[exchange_id] == client_id


def test_a_client_id_the_exchange_would_refuse_is_rejected_unsent() -> None:
    exchange = fake_binance(AssertionError("must not be sent"))
    bad = SubmitRequest("has space", "BTC_USDT", Side.BUY, OrderType.MARKET, Decimal("0.01"))
    result = run(lambda c: c.submit(bad), exchange)
    assert result.reject_code is RejectCode.INVALID_CLIENT_ORDER_ID
    assert exchange.calls == []


def test_an_exchange_without_a_codec_is_refused() -> None:
    with pytest.raises(ValueError, match="no client-id codec for venue 'coinbase'"):
        CcxtConnector("coinbase")


def test_ccxt_cannot_be_told_to_retry_order_calls() -> None:
    config = {**QUICK, "options": {"maxRetriesOnFailure": 3}}
    connector = CcxtConnector("binance", config=config)
    try:
        assert connector.exchange.options["maxRetriesOnFailure"] == 0
        assert (connector.exchange.enableRateLimit, connector.exchange.verbose) == (True, False)
    finally:
        asyncio.run(connector.close())


def test_reprs_never_show_the_keys() -> None:
    credentials = Credentials(SecretStr("canary-K"), SecretStr("canary-S"), SecretStr("canary-P"))
    connector = CcxtConnector("okx", credentials, config=QUICK)
    try:
        shown = repr(connector) + str(connector) + repr(credentials) + repr(connector.exchange)
        assert "canary" not in shown
        assert credentials.values() == ("canary-K", "canary-S", "canary-P")
    finally:
        asyncio.run(connector.close())


def test_importing_orderdesk_does_not_import_ccxt() -> None:
    code = "import sys, orderdesk, orderdesk.app; print('ccxt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_times_are_aware_utc() -> None:
    from orderdesk.venues.ccxt.parsing import ms, time_from_ms  # noqa: PLC0415

    at = datetime(2025, 12, 1, 15, 0, 0, 123000, tzinfo=UTC)
    assert time_from_ms(ms(at)) == at


def order_json(status: str, filled: str) -> dict[str, Any]:
    return {
        "id": "42", "clientOrderId": "c1", "symbol": "BTC/USDT", "side": "buy",
        "type": "limit", "timeInForce": "GTC", "amount": "0.01", "price": "95000.00",
        "filled": filled, "cost": None, "average": None, "status": status,
        "timestamp": 1764601200000, "lastUpdateTimestamp": 1764601201000,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("closed", "0.01", "TOO_LATE FILLED"),
        ("canceled", "0.004", "TOO_LATE CANCELLED"),
        ("open", "0.004", "OutcomeUnknown: binance cancel: refused while the order works: no"),
    ],
)
def test_a_refused_cancel_is_settled_by_what_the_venue_shows(
    status: str, filled: str, expected: str
) -> None:
    exchange = fake_binance(ccxt.OrderNotFound("no"))
    exchange.found = order_json(status, filled)

    async def cancel(connector: CcxtConnector) -> str:
        try:
            result = await connector.cancel("BTC_USDT", client_order_id="c1")
        except VenueError as error:
            return f"{type(error).__name__}: {error}"
        return f"{result.outcome.value} {result.status}"

    assert run(cancel, exchange) == expected
    assert exchange.calls == ["cancel_order", "fetch_order"]


def test_ccxts_order_reads_as_a_venue_order_exactly() -> None:
    order = order_from_ccxt(order_json("open", "0.004"), "BTC_USDT")
    assert (order.venue_order_id, order.client_order_id, order.status) == (
        "42", "c1", OrderStatus.PARTIALLY_FILLED
    )  # fmt: skip
    assert (order.quantity, order.filled_quantity, order.price) == (
        Decimal("0.01"), Decimal("0.004"), Decimal("95000.00")
    )  # fmt: skip
    assert order.updated_at - order.created_at == timedelta(seconds=1)
