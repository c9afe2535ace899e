"""LoopbackConnector: the ``Connector`` port over HTTP, to a loopback server in another process.

A small Binance-spot REST client on the standard library, for running the paper venue in its
own process (``orderdesk venue serve``) before, and beside, the ccxt connector. Execution
reports are synthesised by polling (REST has no stream): new orders give ACK, new trades
FILL, and orders that end without filling completely CANCELLED or EXPIRED.

Transport failures are classified by what they prove: a refused connection is
:class:`~orderdesk.errors.NotSent`; a lost connection, a timeout or a 503 "execution status
unknown" after the request left is :class:`~orderdesk.errors.OutcomeUnknown`; 503 -1001
(Binance: "the request failed") is ``NotSent``; 429 and 418 are
:class:`~orderdesk.errors.RateLimited` and :class:`~orderdesk.errors.Banned` with the
server's ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.client import HTTPException
from typing import Any
from urllib.parse import urlencode

from orderdesk.errors import Banned, NotSent, OutcomeUnknown, RateLimited, VenueError
from orderdesk.model import (
    Balance,
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    Liquidity,
    Market,
    OrderStatus,
    OrderType,
    Side,
    SubmitRequest,
    SubmitResult,
    VenueFill,
    VenueOrder,
)
from orderdesk.model.decimals import EXACT
from orderdesk.venues.cancels import settle_refused_cancel
from orderdesk.venues.loopback.binance import order_from_json, reject_code, time_from_ms
from orderdesk.venues.loopback.config import Secret
from orderdesk.venues.polling import ReportPoller

__all__ = ["LoopbackConnector"]

_TYPE_NAME = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
}


class _Refused(VenueError):
    """A Binance error answer (HTTP 4xx with a code): the venue read the request and said no.

    Methods turn the answers they expect into values (a rejected order, "not found"); any
    other (a bad signature, a stale timestamp) reaches the caller as this ``VenueError``.
    """

    def __init__(self, venue: str, operation: str, status: int, code: int, msg: str) -> None:
        self.status = status
        self.code = code
        self.msg = msg
        super().__init__(venue, operation, f"HTTP {status}, code {code}: {msg}")


_PAGE = 1000  # Binance's largest page for allOrders and myTrades


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class LoopbackConnector:
    """The ``Connector`` of one account at a loopback server (``base_url``)."""

    def __init__(
        self,
        base_url: str,
        api_key: Secret,
        secret: Secret,
        *,
        name: str = "loopback",
        poll: timedelta = timedelta(milliseconds=200),
        timeout: float = 10.0,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._key = api_key
        self._secret = secret
        self._name = name
        self._poll = poll.total_seconds()
        self._timeout = timeout
        self._symbols: dict[str, str] = {}  # ours (BTC_USDT) -> Binance's (BTCUSDT)
        self._markets: dict[str, Market] = {}

    def __repr__(self) -> str:
        return f"LoopbackConnector({self._base!r})"  # never the keys

    @property
    def name(self) -> str:
        """The venue's name."""
        return self._name

    # -- HTTP ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, params: Mapping[str, str], signed: bool) -> Any:
        query = urlencode(dict(params))
        headers = {}
        if signed:
            query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
            signature = hmac.new(
                self._secret.reveal().encode(), query.encode(), hashlib.sha256
            ).hexdigest()
            query += f"&signature={signature}"
            headers["X-MBX-APIKEY"] = self._key.reveal()
        url = f"{self._base}{path}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, method=method, headers=headers)
        operation = f"{method} {path}"
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            body = json.loads(error.read() or b"{}")
            code, msg = int(body.get("code", 0)), str(body.get("msg", ""))
            retry = float(error.headers.get("Retry-After") or 0)
            if error.code == 429:
                raise RateLimited(self._name, operation, retry) from None
            if error.code == 418:
                raise Banned(self._name, operation, retry) from None
            if error.code >= 500:
                if code == -1001:  # Binance: "the request failed"
                    raise NotSent(self._name, operation, f"{error.code} {msg}") from None
                raise OutcomeUnknown(self._name, operation, f"{error.code} {msg}") from None
            raise _Refused(self._name, operation, error.code, code, msg) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError):
                raise NotSent(self._name, operation, "connection refused") from None
            raise OutcomeUnknown(self._name, operation, str(error.reason)) from None
        except (HTTPException, OSError) as error:  # reset, closed without an answer, timeout
            raise OutcomeUnknown(self._name, operation, type(error).__name__) from None

    async def _request(
        self, method: str, path: str, params: Mapping[str, str], *, signed: bool = True
    ) -> Any:
        return await asyncio.to_thread(self._call, method, path, params, signed)

    async def _symbol(self, symbol: str) -> str:
        if not self._symbols:
            await self.markets()
        return self._symbols.get(symbol, symbol.replace("_", ""))

    # -- the port --------------------------------------------------------------------------

    async def markets(self) -> Mapping[str, Market]:
        """Return the venue's markets by symbol, from ``exchangeInfo``."""
        info = await self._request("GET", "/api/v3/exchangeInfo", {}, signed=False)
        markets: dict[str, Market] = {}
        for raw in info["symbols"]:
            filters = {f["filterType"]: f for f in raw["filters"]}
            symbol = f"{raw['baseAsset']}_{raw['quoteAsset']}"
            notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL") or {}
            markets[symbol] = Market(
                symbol=symbol,
                base_asset=raw["baseAsset"],
                quote_asset=raw["quoteAsset"],
                tick_size=Decimal(filters["PRICE_FILTER"]["tickSize"]),
                step_size=Decimal(filters["LOT_SIZE"]["stepSize"]),
                min_quantity=Decimal(filters["LOT_SIZE"]["minQty"]),
                min_notional=Decimal(notional.get("minNotional", "0")),
            )
            self._symbols[symbol] = raw["symbol"]
        self._markets = markets
        return markets

    async def submit(self, request: SubmitRequest) -> SubmitResult:
        """Place ``request``; a Binance refusal is a rejected result."""
        params = {
            "symbol": await self._symbol(request.symbol),
            "side": request.side.value,
            "type": _TYPE_NAME[request.order_type],
            "quantity": format(request.quantity, "f"),
            "newClientOrderId": request.client_order_id,
            "newOrderRespType": "FULL",
        }
        if request.price is not None:
            params |= {"price": format(request.price, "f"), "timeInForce": request.time_in_force}
        if request.stop_price is not None:
            params["stopPrice"] = format(request.stop_price, "f")
        if request.expire_at is not None:  # GTD, as Binance: goodTillDate in epoch ms
            params["goodTillDate"] = str(_ms(request.expire_at))
        try:
            raw = await self._request("POST", "/api/v3/order", params)
        except _Refused as refused:
            code = reject_code(refused.code, refused.msg)
            at = datetime.now(UTC)
            return SubmitResult(
                request.client_order_id,
                OrderStatus.REJECTED,
                at,
                reject_code=code,
                reason=refused.msg,
            )
        order = order_from_json(raw, request.symbol)
        fills = tuple(
            VenueFill(
                trade_id=str(f["tradeId"]),
                venue_order_id=order.venue_order_id,
                client_order_id=order.client_order_id,
                symbol=request.symbol,
                side=request.side,
                quantity=Decimal(f["qty"]),
                price=Decimal(f["price"]),
                fee=Decimal(f["commission"]),
                fee_asset=f["commissionAsset"],
                liquidity=Liquidity.TAKER,
                executed_at=time_from_ms(raw["transactTime"]),
            )
            for f in raw.get("fills", ())
        )
        return SubmitResult(
            order.client_order_id,
            order.status,
            time_from_ms(raw["transactTime"]),
            venue_order_id=order.venue_order_id,
            fills=fills,
        )

    async def cancel(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> CancelResult:
        """Cancel an order; Binance's "unknown order" is settled by asking for the order
        (:func:`~orderdesk.venues.cancels.settle_refused_cancel`): NOT_FOUND, TOO_LATE, or
        :class:`~orderdesk.errors.OutcomeUnknown` while it still works."""
        params = await self._ids(symbol, client_order_id, venue_order_id)
        try:
            raw = await self._request("DELETE", "/api/v3/order", params)
        except _Refused as refused:
            if refused.code not in (-2011, -1121):  # unknown order, unknown symbol
                raise
            refusal = refused.detail
        else:
            order = order_from_json(raw, symbol)
            return CancelResult(
                CancelOutcome.CANCELLED,
                time_from_ms(raw["transactTime"]),
                order.venue_order_id,
                order.client_order_id,
                order.status,
            )
        return await settle_refused_cancel(
            self,
            symbol,
            client_order_id=client_order_id,
            venue_order_id=venue_order_id,
            refusal=refusal,
        )

    async def _ids(
        self, symbol: str, client_order_id: str | None, venue_order_id: str | None
    ) -> dict[str, str]:
        params = {"symbol": await self._symbol(symbol)}
        if venue_order_id is not None:
            params["orderId"] = venue_order_id
        elif client_order_id is not None:
            params["origClientOrderId"] = client_order_id
        else:
            raise ValueError("name the order by client_order_id or venue_order_id")
        return params

    async def query(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> VenueOrder | None:
        """Return the order named by either id, or ``None``."""
        params = await self._ids(symbol, client_order_id, venue_order_id)
        try:
            raw = await self._request("GET", "/api/v3/order", params)
        except _Refused as refused:
            if refused.code in (-2013, -1121):  # no such order, no such symbol
                return None
            raise
        order = order_from_json(raw, symbol)
        if client_order_id is not None and order.client_order_id != client_order_id:
            return None
        return order

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        """Return the working orders, oldest first."""
        params = {} if symbol is None else {"symbol": await self._symbol(symbol)}
        raw = await self._request("GET", "/api/v3/openOrders", params)
        return [order_from_json(o, symbol or self._ours(o["symbol"])) for o in raw]

    async def _paged(
        self, path: str, params: dict[str, str], cursor: str, key: str
    ) -> list[dict[str, Any]]:
        """Fetch every page of ``path``: Binance returns at most 1000 rows a call."""
        rows: list[dict[str, Any]] = []
        params = {**params, "limit": str(_PAGE)}
        while True:
            page = await self._request("GET", path, params)
            rows.extend(page)
            if len(page) < _PAGE:
                return rows
            params[cursor] = str(int(page[-1][key]) + 1)

    async def _orders_since(self, venue_symbol: str, since: datetime) -> list[dict[str, Any]]:
        params = {"symbol": venue_symbol, "startTime": str(_ms(since))}
        return await self._paged("/api/v3/allOrders", params, "orderId", "orderId")

    async def closed_orders(self, symbol: str, since: datetime) -> list[VenueOrder]:
        """Return the orders of ``symbol`` created and finished at or after ``since``."""
        raw = await self._orders_since(await self._symbol(symbol), since)
        orders = [order_from_json(o, symbol) for o in raw]
        return [o for o in orders if not o.is_open and o.updated_at >= since]

    async def fills_since(self, symbol: str, since: datetime) -> list[VenueFill]:
        """Return the account's fills in ``symbol`` at or after ``since``."""
        venue_symbol = await self._symbol(symbol)
        params = {"symbol": venue_symbol, "startTime": str(_ms(since))}
        trades = await self._paged("/api/v3/myTrades", params, "fromId", "id")
        client_ids = {
            str(o["orderId"]): o["clientOrderId"]
            for o in await self._orders_since(venue_symbol, since)
        }
        for order_id in {str(t["orderId"]) for t in trades} - set(client_ids):
            # An order older than ``since`` with a fill after it: ask for it by id.
            order = await self._request(
                "GET", "/api/v3/order", {"symbol": venue_symbol, "orderId": order_id}
            )
            client_ids[order_id] = order["clientOrderId"]
        return [
            VenueFill(
                trade_id=str(t["id"]),
                venue_order_id=str(t["orderId"]),
                client_order_id=client_ids[str(t["orderId"])],
                symbol=symbol,
                side=Side.BUY if t["isBuyer"] else Side.SELL,
                quantity=Decimal(t["qty"]),
                price=Decimal(t["price"]),
                fee=Decimal(t["commission"]),
                fee_asset=t["commissionAsset"],
                liquidity=Liquidity.MAKER if t["isMaker"] else Liquidity.TAKER,
                executed_at=time_from_ms(t["time"]),
            )
            for t in trades
        ]

    async def balances(self) -> Mapping[str, Balance]:
        """Return the account's balances by asset."""
        raw = await self._request("GET", "/api/v3/account", {})
        return {
            b["asset"]: Balance(b["asset"], Decimal(b["free"]), Decimal(b["locked"]))
            for b in raw["balances"]
        }

    async def mid_price(self, symbol: str) -> Decimal | None:
        """Return the mid of the best bid and ask (``bookTicker``), or ``None`` (the
        broker's :class:`~orderdesk.ports.MarketData`: the arrival price of an order)."""
        params = {"symbol": await self._symbol(symbol)}
        raw = await self._request("GET", "/api/v3/ticker/bookTicker", params, signed=False)
        bid, ask = raw.get("bidPrice"), raw.get("askPrice")
        if not bid or not ask or Decimal(bid) <= 0 or Decimal(ask) <= 0:
            return None
        return EXACT.divide(EXACT.add(Decimal(bid), Decimal(ask)), Decimal(2))

    async def reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield reports synthesised by polling every ``poll`` (REST has no stream)."""
        poller = ReportPoller(since=datetime.now(UTC) - timedelta(seconds=1))
        while True:
            for symbol in list(self._markets or await self.markets()):
                orders = await self._all(symbol)
                fills = await self.fills_since(symbol, poller.since)
                for report in poller.poll(symbol, orders, fills):
                    yield report
            await asyncio.sleep(self._poll)

    async def _all(self, symbol: str) -> list[VenueOrder]:
        raw = await self._request(
            "GET", "/api/v3/allOrders", {"symbol": await self._symbol(symbol)}
        )
        return [order_from_json(o, symbol) for o in raw]

    # -- parsing ---------------------------------------------------------------------------

    def _ours(self, venue_symbol: str) -> str:
        for ours, theirs in self._symbols.items():
            if theirs == venue_symbol:
                return ours
        return venue_symbol
