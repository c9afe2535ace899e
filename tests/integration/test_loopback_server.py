"""The loopback server: Binance-spot REST on 127.0.0.1, signed, rate-limited, restartable."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from http.client import RemoteDisconnected
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from orderdesk.errors import NotSent, OutcomeUnknown, RateLimited
from orderdesk.model import OrderStatus, OrderType, RejectCode, Side, SubmitRequest
from orderdesk.testing.loopback import MARKET, LoopbackLevers, market_json
from orderdesk.venues.loopback import (
    LoopbackConfig,
    LoopbackServer,
    Secret,
    ccxt_urls,
    load_config,
    serve,
)
from orderdesk.venues.loopback.client import LoopbackConnector

KEY, SECRET = "canary-key-7f3a9c", "canary-secret-51d2e8"
LIMITED_KEY, LIMITED_SECRET = "limited-key-0b1c", "limited-secret-9d8e"
RAW_CONFIG: dict[str, Any] = {
    "seed": 3,
    "markets": [market_json()],
    "mids": {"BTC_USDT": "95000.00"},
    "level_steps": [1000, 5000],
    "admin_token": "admin-token-test",
    "accounts": [
        {
            "name": "alice",
            "api_key": KEY,
            "secret": SECRET,
            "deposits": {"BTC": "1", "USDT": "100000"},
        },
        {
            "name": "bob",
            "api_key": LIMITED_KEY,
            "secret": LIMITED_SECRET,
            "deposits": {"BTC": "1", "USDT": "100000"},
            "faults": {"rate_limit": 2, "rate_window": 60000, "ban_after": 2},
        },
        {
            "name": "carol",
            "api_key": "dropped-key",
            "secret": "dropped",
            "deposits": {"USDT": "100000"},
            "faults": {"drop_reply": 1.0},
        },
        {
            "name": "erin",
            "api_key": "erin-key",
            "secret": "erin-secret",
            "deposits": {"USDT": "100000"},
            "faults": {
                "server_error": 1.0,
                "outages": [["2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z"]],
            },
        },
        {
            "name": "frank",
            "api_key": "frank-key",
            "secret": "frank-secret",
            "deposits": {"USDT": "100000"},
            "faults": {"outages": [["2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"]]},
        },
        {
            "name": "dave",
            "api_key": "lagged-key",
            "secret": "lagged-secret",
            "deposits": {"USDT": "100000"},
            "faults": {"not_found_lag": 60000},
        },
    ],
}


@pytest.fixture
def config() -> LoopbackConfig:
    return load_config(RAW_CONFIG)


@pytest.fixture
def server(config: LoopbackConfig, tmp_path: Path) -> Iterator[LoopbackServer]:
    with serve(config, tmp_path / "venue.db").start() as running:
        yield running


def call(
    server: LoopbackServer,
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    *,
    key: str = KEY,
    secret: str = SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """Send a signed Binance request; return (HTTP status, JSON body, headers)."""
    fields = dict(params or {})
    fields["timestamp"] = str(int(time.time() * 1000) if timestamp is None else timestamp)
    query = urlencode(fields)
    sign = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    query += f"&signature={signature or sign}"
    request = urllib.request.Request(
        f"{server.url}{path}?{query}", method=method, headers={"X-MBX-APIKEY": key}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_the_test_market_reads_back_as_the_market_it_was_built_from(
    config: LoopbackConfig,
) -> None:
    assert market_json() == {
        "symbol": "BTC_USDT",
        "base_asset": "BTC",
        "quote_asset": "USDT",
        "tick_size": "0.01",
        "step_size": "0.00001",
        "min_quantity": "0.00001",
        "min_notional": "5",
    }
    assert config.markets == (MARKET,)


def test_public_endpoints_answer_time_and_filters(server: LoopbackServer) -> None:
    with urllib.request.urlopen(f"{server.url}/api/v3/exchangeInfo", timeout=10) as answer:
        info = json.loads(answer.read())

    [symbol] = info["symbols"]
    filters = {f["filterType"]: f for f in symbol["filters"]}
    assert (symbol["symbol"], symbol["baseAsset"], symbol["quoteAsset"]) == (
        "BTCUSDT",
        "BTC",
        "USDT",
    )
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001"
    assert filters["NOTIONAL"]["minNotional"] == "5"


def test_a_wrong_signature_is_refused(server: LoopbackServer) -> None:
    status, body, _ = call(server, "GET", "/api/v3/account", signature="00" * 32)

    assert (status, body["code"]) == (400, -1022)


def test_an_unknown_api_key_is_refused(server: LoopbackServer) -> None:
    status, body, _ = call(server, "GET", "/api/v3/account", key="nobody")

    assert (status, body["code"]) == (401, -2015)


def test_a_request_outside_its_recv_window_is_refused(server: LoopbackServer) -> None:
    stale = int(time.time() * 1000) - 6_000

    status, body, _ = call(server, "GET", "/api/v3/account", timestamp=stale)

    assert (status, body["code"]) == (400, -1021)


def test_filter_failures_answer_binance_codes(server: LoopbackServer) -> None:
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}

    tick = call(server, "POST", "/api/v3/order", order | {"quantity": "0.01", "price": "90000.001"})
    notional = call(server, "POST", "/api/v3/order", order | {"quantity": "0.00001", "price": "9"})

    assert (tick[0], tick[1]) == (400, {"code": -1013, "msg": "Filter failure: PRICE_FILTER"})
    assert (notional[0], notional[1]) == (400, {"code": -1013, "msg": "Filter failure: NOTIONAL"})


def test_ignoring_429_and_its_retry_after_earns_a_418(server: LoopbackServer) -> None:
    def account() -> tuple[int, Any, dict[str, str]]:
        return call(server, "GET", "/api/v3/account", key=LIMITED_KEY, secret=LIMITED_SECRET)

    statuses = [account()[0], account()[0]]
    limited = account()
    ignored = account()
    banned = account()

    assert statuses == [200, 200]
    assert (limited[0], limited[1]["code"], ignored[0]) == (429, -1003, 429)
    assert 1 <= int(limited[2]["Retry-After"]) <= 60
    assert (banned[0], banned[2]["Retry-After"]) == (418, "120")


def test_a_restart_replays_the_state_file(config: LoopbackConfig, tmp_path: Path) -> None:
    order = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01",
        "price": "90000.00",
        "newClientOrderId": "survivor-1",
    }
    with serve(config, tmp_path / "venue.db").start() as first:
        placed = call(first, "POST", "/api/v3/order", order)[1]
        balances_before = call(first, "GET", "/api/v3/account")[1]["balances"]

    with serve(config, tmp_path / "venue.db").start() as second:
        status, found, _ = call(
            second, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "survivor-1"}
        )
        balances_after = call(second, "GET", "/api/v3/account")[1]["balances"]

    assert status == 200
    assert (found["orderId"], found["status"], found["origQty"]) == (
        placed["orderId"],
        "NEW",
        "0.01",
    )
    assert balances_after == balances_before


def test_a_new_state_file_numbers_orders_and_trades_above_every_earlier_session(
    config: LoopbackConfig, tmp_path: Path
) -> None:
    order = {
        "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01",
        "newClientOrderId": "first-1",
    }  # fmt: skip
    trades = {"symbol": "BTCUSDT"}
    quote = {"symbol": "BTCUSDT", "bid": "94999.00", "ask": "95001.00", "quantity": "1"}
    with serve(config, tmp_path / "one.db").start() as first:
        admin(first, "quote", dict(quote))
        one = call(first, "POST", "/api/v3/order", order)[1]["orderId"]
        one_trades = [t["id"] for t in call(first, "GET", "/api/v3/myTrades", trades)[1]]
    with serve(config, tmp_path / "one.db").start() as restarted:
        admin(restarted, "quote", dict(quote))
        again = call(restarted, "POST", "/api/v3/order", {**order, "newClientOrderId": "first-2"})
        replayed = [t["id"] for t in call(restarted, "GET", "/api/v3/myTrades", trades)[1]]
    with serve(config, tmp_path / "two.db").start() as second:
        admin(second, "quote", dict(quote))
        two = call(second, "POST", "/api/v3/order", order)[1]["orderId"]
        two_trades = [t["id"] for t in call(second, "GET", "/api/v3/myTrades", trades)[1]]

    assert one > 10**15  # a session's own base, not 1
    assert again[1]["orderId"] == one + 1  # a restart replays the same session
    assert replayed[: len(one_trades)] == one_trades
    assert two >= one + 10**9  # a new state file: a new session, above the first
    assert one_trades
    assert min(two_trades) > max(replayed)


def test_secrets_reach_neither_the_state_file_nor_the_logs(
    config: LoopbackConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(config, tmp_path / "venue.db").start() as running:
        call(running, "GET", "/api/v3/account")
        call(running, "POST", "/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY"})
    db = sqlite3.connect(tmp_path / "venue.db")
    dump = "\n".join(db.iterdump())
    db.close()

    text = dump + caplog.text + repr(config)
    assert (KEY in text, SECRET in text, LIMITED_SECRET in text) == (False, False, False)


def test_ccxt_binance_loads_markets_and_trades(server: LoopbackServer) -> None:
    ccxt = pytest.importorskip("ccxt.async_support")

    async def session() -> list[Any]:
        exchange = ccxt.binance(
            {
                "apiKey": KEY,
                "secret": SECRET,
                "options": {
                    "fetchMarkets": {"types": ["spot"]},
                    "fetchCurrencies": False,
                    "fetchMargins": False,
                },
            }
        )
        exchange.urls["api"] = ccxt_urls(server.url)
        try:
            markets = await exchange.load_markets()
            market = markets["BTC/USDT"]
            limit = await exchange.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 90000, {"newClientOrderId": "ccxt-1"}
            )
            fetched = await exchange.fetch_order(limit["id"], "BTC/USDT")
            cancelled = await exchange.cancel_order(limit["id"], "BTC/USDT")
            bought = await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
            trades = await exchange.fetch_my_trades("BTC/USDT")
            return [
                market["precision"]["price"],
                market["limits"]["amount"]["min"],
                (limit["clientOrderId"], limit["status"]),
                fetched["status"],
                cancelled["status"],
                (bought["status"], bought["filled"]),
                round(sum(t["amount"] for t in trades), 8),
            ]
        finally:
            await exchange.close()

    assert asyncio.run(session()) == [
        0.01,
        1e-05,
        ("ccxt-1", "open"),
        "open",
        "canceled",
        ("closed", 0.01),
        0.01,
    ]


LIMIT_ORDER = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "90000.00",
    "newClientOrderId": "faulty-1",
}


def test_a_dropped_reply_closes_the_connection_after_the_order_is_placed(
    server: LoopbackServer,
) -> None:
    with pytest.raises(RemoteDisconnected):  # the connection closes without an answer
        call(server, "POST", "/api/v3/order", LIMIT_ORDER, key="dropped-key", secret="dropped")

    placed = server.state.exchange.find("carol", "BTC_USDT", client_order_id="faulty-1")
    assert placed is not None
    assert placed.status.value == "OPEN"


def test_a_new_order_is_not_found_during_the_lag(server: LoopbackServer) -> None:
    def lagged(method: str, path: str, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        return call(server, method, path, params, key="lagged-key", secret="lagged-secret")

    placed = lagged("POST", "/api/v3/order", LIMIT_ORDER)
    ids = {"symbol": "BTCUSDT", "origClientOrderId": "faulty-1"}

    query = lagged("GET", "/api/v3/order", ids)
    cancel = lagged("DELETE", "/api/v3/order", ids)
    listed = lagged("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})

    assert placed[0] == 200
    assert (query[0], query[1]["code"], cancel[1]["code"], listed[1]) == (400, -2013, -2011, [])
    still = server.state.exchange.find("dave", "BTC_USDT", client_order_id="faulty-1")
    assert still is not None
    assert still.status.value == "OPEN"


def admin(server: LoopbackServer, lever: str, params: dict[str, str]) -> None:
    levers = LoopbackLevers(server.url, Secret("admin-token-test"))
    symbol = params.pop("symbol").replace("USDT", "_USDT")
    values = {k: Decimal(v) for k, v in params.items()}
    if lever == "quote":
        asyncio.run(levers.quote(symbol, values["bid"], values["ask"], values["quantity"]))
    else:
        asyncio.run(levers.trade(symbol, values["price"], values["quantity"]))


def test_levers_move_a_quiet_market_and_a_restart_replays_them(tmp_path: Path) -> None:
    quiet = load_config(RAW_CONFIG | {"feed_interval_ms": 0})
    order = LIMIT_ORDER | {"newClientOrderId": "lever-1"}
    ids = {"symbol": "BTCUSDT", "origClientOrderId": "lever-1"}
    with serve(quiet, tmp_path / "venue.db").start() as first:
        quote = {"symbol": "BTCUSDT", "bid": "89990", "ask": "90010", "quantity": "1"}
        admin(first, "quote", quote)
        call(first, "POST", "/api/v3/order", order)
        admin(first, "trade", {"symbol": "BTCUSDT", "price": "90000.00", "quantity": "0.004"})
        before = call(first, "GET", "/api/v3/order", ids)[1]

    with serve(quiet, tmp_path / "venue.db").start() as second:
        after = call(second, "GET", "/api/v3/order", ids)[1]
        trades = call(second, "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})[1]

    assert (before["status"], before["executedQty"]) == ("PARTIALLY_FILLED", "0.004")
    assert after == before
    assert [(t["price"], t["qty"], t["isMaker"]) for t in trades] == [("90000.00", "0.004", True)]


def test_levers_need_the_admin_token(server: LoopbackServer) -> None:
    request = urllib.request.Request(
        f"{server.url}/_paper/trade?symbol=BTCUSDT&price=1&quantity=1", method="POST"
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)

    assert refused.value.code == 401


def test_malformed_orders_are_refused_and_never_journaled(
    config: LoopbackConfig, tmp_path: Path
) -> None:
    bad = LIMIT_ORDER | {"quantity": "lots", "newClientOrderId": "bad-1"}
    with serve(config, tmp_path / "venue.db").start() as first:
        status, body, _ = call(first, "POST", "/api/v3/order", bad)
        listed = call(first, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT", "limit": "x"})

    with serve(config, tmp_path / "venue.db").start() as second:  # the replay still starts
        orders = call(second, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"})[1]

    assert (status, body["code"], listed[0], orders) == (400, -1100, 400, [])


def test_the_example_config_loads_its_keys_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PAPER_API_KEY", "PAPER_SECRET", "FLAKY_API_KEY", "FLAKY_SECRET"):
        monkeypatch.setenv(f"ORDERDESK_{name}", f"value-of-{name.lower()}")
    path = Path(__file__).resolve().parents[2] / "examples" / "loopback-venue.json"

    config = load_config(path)

    assert [m.symbol for m in config.markets] == ["BTC_USDT", "ETH_USDT"]
    secret = config.accounts[0].secret
    assert secret is not None
    assert secret.reveal() == "value-of-paper_secret"
    assert config.accounts[1].faults.not_found_lag == timedelta(seconds=5)
    assert "value-of" not in repr(config)


def test_a_5xx_after_accepting_says_execution_status_unknown(server: LoopbackServer) -> None:
    status, body, _ = call(
        server, "POST", "/api/v3/order", LIMIT_ORDER, key="erin-key", secret="erin-secret"
    )

    placed = server.state.exchange.find("erin", "BTC_USDT", client_order_id="faulty-1")
    assert (status, body["code"]) == (503, -1006)
    assert placed is not None


def test_during_an_outage_requests_fail_unprocessed(server: LoopbackServer) -> None:
    status, body, _ = call(
        server, "POST", "/api/v3/order", LIMIT_ORDER, key="frank-key", secret="frank-secret"
    )

    assert (status, body["code"]) == (503, -1001)
    assert server.state.exchange.find("frank", "BTC_USDT", client_order_id="faulty-1") is None


# -- the HTTP connector's classification of failures ---------------------------------------


def connector_for(server: LoopbackServer, key: str, secret: str) -> LoopbackConnector:
    return LoopbackConnector(server.url, Secret(key), Secret(secret))


def limit_request(cid: str, price: str = "90000.00") -> SubmitRequest:
    return SubmitRequest(
        cid, "BTC_USDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"), Decimal(price)
    )


def test_connector_classifies_a_dropped_reply_as_outcome_unknown(server: LoopbackServer) -> None:
    connector = connector_for(server, "dropped-key", "dropped")

    with pytest.raises(OutcomeUnknown):
        asyncio.run(connector.submit(limit_request("lost-1")))

    assert server.state.exchange.find("carol", "BTC_USDT", client_order_id="lost-1") is not None


def test_connector_classifies_a_refused_connection_as_not_sent(
    config: LoopbackConfig, tmp_path: Path
) -> None:
    with serve(config, tmp_path / "venue.db").start() as stopped:
        url = stopped.url
    connector = LoopbackConnector(url, Secret(KEY), Secret(SECRET))

    with pytest.raises(NotSent):
        asyncio.run(connector.balances())


def test_connector_turns_filter_failures_into_reject_codes(server: LoopbackServer) -> None:
    connector = connector_for(server, KEY, SECRET)

    off_tick = asyncio.run(connector.submit(limit_request("tick-1", "90000.001")))
    too_big = asyncio.run(connector.submit(limit_request("rich-1", "9000000000.00")))

    assert (off_tick.status, off_tick.reject_code) == (
        OrderStatus.REJECTED,
        RejectCode.PRICE_NOT_ON_TICK,
    )
    assert too_big.reject_code is RejectCode.INSUFFICIENT_BALANCE


def test_connector_reports_rate_limits_with_retry_after(server: LoopbackServer) -> None:
    connector = connector_for(server, LIMITED_KEY, LIMITED_SECRET)
    asyncio.run(connector.balances())
    asyncio.run(connector.balances())

    with pytest.raises(RateLimited) as limited:
        asyncio.run(connector.balances())

    assert 1 <= limited.value.retry_after <= 60
    assert SECRET not in repr(connector_for(server, KEY, SECRET))
