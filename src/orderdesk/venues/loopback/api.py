"""The Binance-spot REST subset the loopback server answers, over the paper venue.

Endpoints: ``GET /api/v3/ping``, ``/time``, ``/exchangeInfo``, ``/ticker/bookTicker``
(public); ``GET /account``, ``POST|GET|DELETE /order``, ``GET /openOrders``, ``/allOrders``,
``/myTrades`` (signed: the ``X-MBX-APIKEY`` header names the account, ``signature`` is the
HMAC-SHA256 of the query string followed by the body under the account's secret, and
``timestamp`` must lie within ``recvWindow`` (default 5,000 ms, at most 60,000) of the
server's time). Test levers, only when the config sets an ``admin_token`` (header
``X-PAPER-ADMIN``): ``POST /_paper/quote`` and ``/_paper/trade``.

Each account's :class:`~orderdesk.venues.paper.faults.Faults` apply on the wire: 429 with
``Retry-After`` beyond ``rate_limit`` and 418 for clients that ignore it; on new orders and
cancels a dropped request (connection closed unprocessed), a dropped reply or a timeout
(processed, connection closed) and a 503 -1006 "execution status unknown" after processing;
during an outage every signed request gets 503 -1001 (Binance's "the request failed");
``not_found_lag`` hides new orders from queries, cancels and lists. Report-stream knobs do
not apply: REST has no stream.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from orderdesk.errors import Banned, RateLimited
from orderdesk.model import CancelOutcome, SubmitResult
from orderdesk.venues.loopback.binance import (
    ApiError,
    account_json,
    exchange_info,
    fill_json,
    new_order_json,
    order_json,
    reject_error,
    to_binance_symbol,
)
from orderdesk.venues.loopback.config import LoopbackAccount
from orderdesk.venues.loopback.state import LoopbackState, Payload
from orderdesk.venues.paper.records import PaperOrder

__all__ = ["BinanceApi", "DropConnection"]

_MAX_RECV_WINDOW = 60_000
_DEFAULT_RECV_WINDOW = 5_000

Params = dict[str, str]


class DropConnection(Exception):
    """Close the connection without an answer (a wire fault)."""


class BinanceApi:
    """The endpoints: authenticate, rate-limit, inject wire faults, call the venue."""

    def __init__(self, state: LoopbackState) -> None:
        self.state = state
        self.symbols = {to_binance_symbol(m.symbol): m.symbol for m in state.config.markets}
        self.wire_rng = random.Random(state.config.seed)  # wire faults: not part of replay
        self.generated_ids = 0
        self.routes: dict[tuple[str, str], Callable[[LoopbackAccount, Params], object]] = {
            ("GET", "/api/v3/account"): self._account,
            ("POST", "/api/v3/order"): self._new_order,
            ("GET", "/api/v3/order"): self._query_order,
            ("DELETE", "/api/v3/order"): self._cancel_order,
            ("GET", "/api/v3/openOrders"): self._open_orders,
            ("GET", "/api/v3/allOrders"): self._all_orders,
            ("GET", "/api/v3/myTrades"): self._my_trades,
        }

    def dispatch(
        self, method: str, path: str, query: str, body: str, headers: Any
    ) -> tuple[int, object]:
        """Answer one request with (HTTP status, JSON body), or raise an error or a drop."""
        state = self.state
        with state.lock:
            now = state.now()
            if method == "GET" and path in ("/api/v3/ping", "/api/v1/ping"):
                return 200, {}
            if method == "GET" and path == "/api/v3/time":
                return 200, {"serverTime": _ms(now)}
            if method == "GET" and path == "/api/v3/exchangeInfo":
                return 200, exchange_info(state.config.markets, now)
            if method == "GET" and path == "/api/v3/ticker/bookTicker":
                return 200, self._book_ticker(_params(query, body))
            if method == "POST" and path.startswith("/_paper/"):
                return 200, self._admin(path, query, body, headers)
            route = self.routes.get((method, path))
            if route is None:
                raise ApiError(404, -1000, f"Unknown endpoint {method} {path}.")
            account = self._authenticate(query, body, headers)
            params = _params(query, body)
            if any(start <= now < end for start, end in account.faults.outages):
                # Binance documents this answer as "the request failed": nothing was done.
                msg = "Internal error; unable to process your request. Please try again."
                raise ApiError(503, -1001, msg)
            self._gate(account, path, now)
            entry = path == "/api/v3/order" and method in ("POST", "DELETE")
            faults, rng = account.faults, self.wire_rng
            if entry and faults.drop_request and rng.random() < faults.drop_request:
                raise DropConnection
            answer = route(account, params)
            if entry and faults.drop_reply and rng.random() < faults.drop_reply:
                raise DropConnection
            if entry and faults.timeout and rng.random() < faults.timeout:
                raise DropConnection  # a client waiting for a reply that never comes: its timeout
            if entry and faults.server_error and rng.random() < faults.server_error:
                # Binance's "execution status unknown" answer: the order may well be placed.
                msg = "An unexpected response was received from the message bus. "
                raise ApiError(503, -1006, msg + "Execution status unknown.")
            return 200, answer

    def _book_ticker(self, params: Params) -> object:
        """One symbol's best bid and ask, or every symbol's (a list) when none is named."""
        binance = params.get("symbol")
        if binance is None:
            return [self._ticker(name) for name in self.symbols]
        if binance not in self.symbols:
            raise ApiError(400, -1121, "Invalid symbol.")
        return self._ticker(binance)

    def _ticker(self, binance: str) -> dict[str, str | None]:
        bid, ask = self.state.exchange.best_quote(self.symbols[binance])
        return {
            "symbol": binance,
            "bidPrice": None if bid is None else str(bid),
            "bidQty": "0",
            "askPrice": None if ask is None else str(ask),
            "askQty": "0",
        }

    # -- security --------------------------------------------------------------------------

    def _authenticate(self, query: str, body: str, headers: Any) -> LoopbackAccount:
        key = headers.get("X-MBX-APIKEY")
        account = self.state.accounts_by_key.get(key or "")
        if account is None or account.secret is None:
            raise ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        signed, signature = _split_signature(query, body)
        expected = hmac.new(
            account.secret.reveal().encode(), signed.encode(), hashlib.sha256
        ).hexdigest()
        if signature is None or not hmac.compare_digest(expected, signature):
            raise ApiError(400, -1022, "Signature for this request is not valid.")
        params = _params(query, body)
        try:
            timestamp = int(params["timestamp"])
            window = int(params.get("recvWindow", _DEFAULT_RECV_WINDOW))
        except (KeyError, ValueError):
            raise ApiError(400, -1102, "Mandatory parameter 'timestamp' was not sent.") from None
        if not 0 < window <= _MAX_RECV_WINDOW:
            raise ApiError(400, -1131, "recvWindow must be less than 60000")
        server = _ms(datetime.now(UTC))
        if timestamp > server + 1000 or server - timestamp > window:
            raise ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        return account

    def _gate(self, account: LoopbackAccount, path: str, now: datetime) -> None:
        gate = self.state.exchange.account(account.name).gate
        try:
            gate.admit("loopback", path, now)
        except Banned as banned:
            retry = max(1, round(banned.retry_after))
            raise ApiError(418, -1003, "Way too many requests; IP banned.", retry) from None
        except RateLimited as limited:
            retry = max(1, round(limited.retry_after + 0.4999))
            raise ApiError(
                429, -1003, "Too many requests; please use the websocket.", retry
            ) from None

    def _admin(self, path: str, query: str, body: str, headers: Any) -> object:
        token = self.state.config.admin_token
        if token is None or headers.get("X-PAPER-ADMIN") != token.reveal():
            raise ApiError(401, -2015, "Admin levers are disabled or the token is wrong.")
        params = _params(query, body)
        payload: Payload = {"symbol": self._symbol(params), "quantity": params.get("quantity")}
        if path == "/_paper/quote":
            payload |= {"bid": params.get("bid"), "ask": params.get("ask")}
            kind = "quote"
        elif path == "/_paper/trade":
            payload["price"] = params.get("price")
            kind = "trade"
        else:
            raise ApiError(404, -1000, f"Unknown lever {path}.")
        for key, value in payload.items():
            if value is None:
                raise ApiError(400, -1102, f"Mandatory parameter '{key}' was not sent.")
            if key != "symbol":
                _decimal_param(value, key)
        self.state.command(kind, "", payload)  # journaled: a restart replays the market too
        return {}

    # -- signed endpoints ------------------------------------------------------------------

    def _symbol(self, params: Mapping[str, str | None]) -> str:
        symbol = self.symbols.get(params.get("symbol") or "")
        if symbol is None:
            raise ApiError(400, -1121, "Invalid symbol.")
        return symbol

    def _account(self, account: LoopbackAccount, params: Params) -> object:
        balances = self.state.exchange.balances(account.name)
        return account_json(balances, self.state.clock.now())

    def _new_order(self, account: LoopbackAccount, params: Params) -> object:
        params = dict(params, symbol=self._symbol(params))
        if not params.get("newClientOrderId"):
            self.generated_ids += 1
            params["newClientOrderId"] = f"paper-{_ms(self.state.clock.now())}-{self.generated_ids}"
        payload = {k: params.get(k) for k in _ORDER_KEYS}
        result = self.state.command("submit", account.name, payload)
        assert isinstance(result, SubmitResult)
        if not result.accepted:
            assert result.reject_code is not None
            raise reject_error(result.reject_code)
        assert result.venue_order_id is not None
        order = self.state.exchange.query(
            account.name, params["symbol"] or "", venue_order_id=result.venue_order_id
        )
        assert order is not None
        kind = params.get("newOrderRespType") or "FULL"
        return new_order_json(order, result.fills, result.at, kind)

    def _order_ids(self, params: Params) -> tuple[str | None, str | None]:
        venue_id = params.get("orderId")
        client_id = params.get("origClientOrderId")
        if venue_id is None and client_id is None:
            raise ApiError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent.")
        return client_id, venue_id

    def _visible(self, account: LoopbackAccount, order: PaperOrder | None) -> bool:
        """Whether the order is past the account's ``not_found_lag`` (a replica catching up)."""
        if order is None:
            return False
        lag = account.faults.not_found_lag
        return not lag or self.state.clock.now() >= order.created_at + lag

    def _find(self, account: LoopbackAccount, params: Params) -> PaperOrder | None:
        client_id, venue_id = self._order_ids(params)
        order = self.state.exchange.find(
            account.name, self._symbol(params), client_order_id=client_id, venue_order_id=venue_id
        )
        return order if self._visible(account, order) else None

    def _query_order(self, account: LoopbackAccount, params: Params) -> object:
        order = self._find(account, params)
        if order is None:
            raise ApiError(400, -2013, "Order does not exist.")
        return order_json(order.snapshot())

    def _cancel_order(self, account: LoopbackAccount, params: Params) -> object:
        client_id, venue_id = self._order_ids(params)
        symbol = self._symbol(params)
        if self._find(account, params) is None:
            raise ApiError(400, -2011, "Unknown order sent.")
        payload: Payload = {
            "symbol": symbol,
            "client_order_id": client_id,
            "venue_order_id": venue_id,
        }
        result = self.state.command("cancel", account.name, payload)
        if getattr(result, "outcome", None) is not CancelOutcome.CANCELLED:
            raise ApiError(400, -2011, "Unknown order sent.")
        order = self.state.exchange.query(
            account.name, symbol, client_order_id=client_id, venue_order_id=venue_id
        )
        assert order is not None
        answer = order_json(order)
        answer["origClientOrderId"] = order.client_order_id
        answer["transactTime"] = _ms(self.state.clock.now())
        return answer

    def _open_orders(self, account: LoopbackAccount, params: Params) -> object:
        symbol = self._symbol(params) if params.get("symbol") else None
        records = self.state.exchange.open_records(account.name, symbol)
        return [order_json(o.snapshot()) for o in records if self._visible(account, o)]

    def _all_orders(self, account: LoopbackAccount, params: Params) -> object:
        symbol = self._symbol(params)
        exchange = self.state.exchange
        since = _since(params)
        closed = exchange.closed_records(account.name, symbol, since)
        working = exchange.open_records(account.name, symbol)
        orders = sorted(
            (o for o in (*closed, *working) if o.created_at >= since and self._visible(account, o)),
            key=lambda o: int(o.venue_order_id),
        )
        # As Binance: from an orderId or a startTime, the first ``limit`` orders on (so a
        # client can page forward); from neither, the latest ``limit``. At most 1000.
        from_id = params.get("orderId")
        if from_id is not None:
            orders = [o for o in orders if int(o.venue_order_id) >= int(from_id)]
        limit = min(int(params.get("limit") or 500), _MAX_PAGE)
        page = orders[:limit] if from_id is not None or "startTime" in params else orders[-limit:]
        return [order_json(o.snapshot()) for o in page]

    def _my_trades(self, account: LoopbackAccount, params: Params) -> object:
        symbol = self._symbol(params)
        exchange = self.state.exchange
        fills = [
            f
            for f in exchange.fills_since(account.name, symbol, _since(params))
            if self._visible(
                account, exchange.find(account.name, symbol, venue_order_id=f.venue_order_id)
            )
        ]
        from_id = params.get("fromId")
        if from_id is not None:
            fills = [f for f in fills if int(f.trade_id) >= int(from_id)]
        limit = min(int(params.get("limit") or 500), _MAX_PAGE)
        return [fill_json(f) for f in fills][:limit]


_ORDER_KEYS = (
    "symbol",
    "side",
    "type",
    "timeInForce",
    "quantity",
    "price",
    "stopPrice",
    "goodTillDate",
    "newClientOrderId",
)


_MAX_PAGE = 1000  # Binance's largest page for allOrders and myTrades


def _decimal_param(text: str, key: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise ApiError(400, -1100, f"Illegal characters found in parameter '{key}'.") from None
    if not value.is_finite() or value <= 0:
        raise ApiError(400, -1100, f"Illegal value in parameter '{key}'.")
    return value


def _params(query: str, body: str) -> Params:
    params: Params = {}
    params.update(parse_qsl(query))
    params.update(parse_qsl(body))
    return params


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _since(params: Params) -> datetime:
    start = params.get("startTime")
    return (
        datetime.fromtimestamp(int(start) / 1000, UTC)
        if start
        else datetime.min.replace(tzinfo=UTC)
    )


def _split_signature(query: str, body: str) -> tuple[str, str | None]:
    """Return (the signed text, the signature): query then body, ``signature`` removed."""
    signature = None
    parts = []
    for text in (query, body):
        kept = []
        for pair in text.split("&") if text else ():
            if pair.startswith("signature="):
                signature = pair[len("signature=") :]
            else:
                kept.append(pair)
        parts.append("&".join(kept))
    signed = parts[0] + ("&" if parts[0] and parts[1] else "") + parts[1]
    return signed, signature
