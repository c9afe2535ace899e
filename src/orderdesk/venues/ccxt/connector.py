"""CcxtConnector: the ``Connector`` port on any ccxt exchange (``ccxt.async_support``).

One account at one exchange. What it adds to ccxt:

* symbols and filters: ``BTC_USDT`` is ccxt's ``BTC/USDT``; ccxt's markets become
  :class:`~orderdesk.model.Market` filters for the broker's pre-trade rules, and an order off
  the tick or step is rejected here (ccxt would round it silently to another order);
* client order ids checked against the exchange's codec (``orderdesk.model.client_ids``):
  the broker names orders by ``codec_for(connector.name)``;
* every ccxt exception translated once (:mod:`orderdesk.venues.ccxt.errors`): the venue's
  "no" is a returned value (a rejected submit, a cancel or query that finds nothing), a
  transport failure a :class:`~orderdesk.errors.VenueError` that says whether the request
  may have been processed;
* execution reports synthesised from polled orders and trades, each event once; where ccxt
  has ``watch_orders`` for the exchange (ccxt.pro) and ``watch=True``, a pushed order update
  triggers the next poll at once instead of waiting for the interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import ccxt

from orderdesk.model import (
    Balance,
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    Market,
    OrderStatus,
    OrderType,
    RejectCode,
    SubmitRequest,
    SubmitResult,
    TimeInForce,
    VenueFill,
    VenueOrder,
)
from orderdesk.model.client_ids import ClientIdCodec, codec_for
from orderdesk.model.decimals import EXACT
from orderdesk.venues.cancels import settle_refused_cancel
from orderdesk.venues.ccxt.errors import redact, reject_code, translate, translation_of
from orderdesk.venues.ccxt.exchange import Credentials, open_exchange
from orderdesk.venues.ccxt.parsing import (
    fill_from_ccxt,
    from_ccxt_symbol,
    market_from_ccxt,
    ms,
    number,
    order_from_ccxt,
    to_ccxt_symbol,
)
from orderdesk.venues.polling import ReportPoller

__all__ = ["CcxtConnector"]

log = logging.getLogger("orderdesk.venues.ccxt")

T = TypeVar("T")

_PAGE = 500  # rows asked for per page of orders and trades
_TYPES = {OrderType.MARKET: "market", OrderType.LIMIT: "limit", OrderType.STOP_LIMIT: "limit"}


class CcxtConnector:
    """The ``Connector`` of one account at the ccxt exchange ``exchange_id``.

    ``credentials`` are the account's keys (``None``: public data only). ``sandbox`` uses
    the exchange's testnet. ``config`` goes to ccxt's constructor (``rateLimit``,
    ``timeout``, ``options``...); ``api_urls`` replaces ccxt's ``urls['api']`` (a loopback
    venue). ``poll`` is the report-polling interval; ``watch`` says whether to use
    ccxt.pro's ``watch_orders`` as a doorbell (``None``: when the exchange has it).
    ``exchange_class`` replaces ccxt's class (tests). Call :meth:`close` (or use
    ``async with``) when done: ccxt holds an HTTP session.
    """

    def __init__(
        self,
        exchange_id: str,
        credentials: Credentials | None = None,
        *,
        sandbox: bool = False,
        config: Mapping[str, Any] | None = None,
        api_urls: Mapping[str, str] | None = None,
        poll: timedelta = timedelta(seconds=1),
        watch: bool | None = None,
        exchange_class: type | None = None,
    ) -> None:
        self._codec: ClientIdCodec = codec_for(exchange_id)  # a venue without one: ValueError
        self._name = exchange_id
        self._secrets = credentials.values() if credentials is not None else ()
        self._exchange = open_exchange(
            exchange_id,
            credentials,
            sandbox=sandbox,
            config=config,
            api_urls=api_urls,
            base=exchange_class,
        )
        has = self._exchange.has
        self._watch = bool(has.get("watchOrders")) if watch is None else watch
        self._poll = poll.total_seconds()
        self._markets: dict[str, Market] = {}
        self._active: set[str] = set()  # symbols this connector traded: polled for reports

    def __repr__(self) -> str:
        return f"CcxtConnector({self._name!r})"  # never the keys

    async def __aenter__(self) -> CcxtConnector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release ccxt's HTTP session (and streams)."""
        await self._exchange.close()

    @property
    def name(self) -> str:
        """The exchange's ccxt id (``binance``, ``okx``...), also the client-id codec's."""
        return self._name

    @property
    def codec(self) -> ClientIdCodec:
        """How this exchange wants client order ids written."""
        return self._codec

    @property
    def exchange(self) -> Any:
        """The ccxt exchange itself (its options, ``has``, rate limit)."""
        return self._exchange

    # -- calling ccxt ----------------------------------------------------------------------

    async def _call(self, operation: str, send: Callable[[], Awaitable[T]]) -> T:
        """Await ``send``; raise its ccxt error as orderdesk's (see the errors table)."""
        try:
            return await send()
        except ccxt.BaseError as error:
            raise translate(error, self._name, operation, self._secrets) from None

    def _venue_no(self, error: ccxt.BaseError) -> bool:
        return translation_of(error).venue_no

    def _reason(self, error: BaseException) -> str:
        return redact(str(error), self._secrets)

    # -- markets ---------------------------------------------------------------------------

    async def markets(self) -> Mapping[str, Market]:
        """Return the exchange's spot markets by orderdesk symbol, with their filters."""
        raw = await self._call("markets", lambda: self._exchange.load_markets(True))
        mode = self._exchange.precisionMode
        found = (market_from_ccxt(m, mode) for m in raw.values())
        self._markets = {m.symbol: m for m in found if m is not None}
        return dict(self._markets)

    async def mid_price(self, symbol: str) -> Decimal | None:
        """Return the mid of the best bid and ask now, or ``None`` (the broker's
        :class:`~orderdesk.ports.MarketData`: an order's arrival price)."""
        name = await self._symbol(symbol)
        exchange = self._exchange
        if exchange.has.get("fetchBidsAsks"):
            tickers = await self._call("quote", lambda: exchange.fetch_bids_asks([name]))
            ticker = tickers.get(name) or {}
        else:
            ticker = await self._call("quote", lambda: exchange.fetch_ticker(name))
        bid, ask = ticker.get("bid"), ticker.get("ask")
        if bid is None or ask is None:
            return None
        low, high = Decimal(str(bid)), Decimal(str(ask))
        if not (low.is_finite() and high.is_finite()) or low <= 0 or high <= 0:
            return None
        return EXACT.divide(EXACT.add(low, high), Decimal(2))

    async def _market(self, symbol: str) -> Market | None:
        if not self._markets:
            await self.markets()
        return self._markets.get(symbol)

    async def _symbol(self, symbol: str) -> str:
        if not self._markets:
            await self.markets()
        return to_ccxt_symbol(symbol)

    # -- orders ----------------------------------------------------------------------------

    def _rejected(self, request: SubmitRequest, code: RejectCode, reason: str) -> SubmitResult:
        return SubmitResult(
            request.client_order_id,
            OrderStatus.REJECTED,
            datetime.now(UTC),
            reject_code=code,
            reason=reason,
        )

    def _check(self, request: SubmitRequest, market: Market | None) -> SubmitResult | None:
        """Reject here what the exchange would refuse or ccxt would silently change."""
        if market is None:
            return self._rejected(request, RejectCode.UNKNOWN_SYMBOL, "no such market")
        if self._codec.accepts.fullmatch(request.client_order_id) is None:
            reason = f"{self._name} does not accept this client order id"
            return self._rejected(request, RejectCode.INVALID_CLIENT_ORDER_ID, reason)
        if request.time_in_force is TimeInForce.GTD:
            return self._rejected(request, RejectCode.INVALID_ORDER, "GTD is not supported")
        violation = market.violation(request.quantity, request.price)
        stop = request.stop_price
        if violation is None and stop is not None and stop % market.tick_size:
            violation = RejectCode.PRICE_NOT_ON_TICK
        if violation is not None:  # ccxt would round it to the grid: another order
            return self._rejected(request, violation, f"breaks {market.symbol}'s filters")
        return None

    async def submit(self, request: SubmitRequest) -> SubmitResult:
        """Place ``request``; the exchange's refusal is a rejected result with a code."""
        refused = self._check(request, await self._market(request.symbol))
        if refused is not None:
            return refused
        symbol = to_ccxt_symbol(request.symbol)
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        if request.order_type is not OrderType.MARKET:
            params["timeInForce"] = request.time_in_force.value
        if request.stop_price is not None:
            params["triggerPrice"] = format(request.stop_price, "f")
        price = None if request.price is None else format(request.price, "f")
        self._active.add(request.symbol)
        try:
            raw = await self._exchange.create_order(
                symbol,
                _TYPES[request.order_type],
                request.side.value.lower(),
                format(request.quantity, "f"),
                price,
                params,
            )
        except ccxt.BaseError as error:
            if self._venue_no(error):
                return self._rejected(request, reject_code(error), self._reason(error))
            raise translate(error, self._name, "submit", self._secrets) from None
        order = order_from_ccxt(raw, request.symbol)
        fills = tuple(
            fill_from_ccxt(trade, request.symbol, request.client_order_id, order)
            for trade in raw.get("trades") or ()
            if trade.get("id") is not None
        )
        return SubmitResult(
            request.client_order_id,
            order.status,
            order.updated_at,
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
        """Cancel an order; the exchange's "no" is settled by asking for the order
        (:func:`~orderdesk.venues.cancels.settle_refused_cancel`): NOT_FOUND, TOO_LATE, or
        :class:`~orderdesk.errors.OutcomeUnknown` while it still works."""
        params = _by_client_id(client_order_id, venue_order_id)
        market = await self._symbol(symbol)
        try:
            raw = await self._exchange.cancel_order(venue_order_id, market, params)
        except ccxt.BaseError as error:
            if not self._venue_no(error):
                raise translate(error, self._name, "cancel", self._secrets) from None
            refusal = self._reason(error)
        else:
            order = order_from_ccxt(raw, symbol)
            return CancelResult(
                CancelOutcome.CANCELLED,
                order.updated_at,
                order.venue_order_id or venue_order_id,
                order.client_order_id or client_order_id,
                OrderStatus.CANCELLED,
            )
        # Outside the handler: the query's own errors do not carry ccxt's as their context.
        return await settle_refused_cancel(
            self,
            symbol,
            client_order_id=client_order_id,
            venue_order_id=venue_order_id,
            refusal=refusal,
        )

    async def query(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        venue_order_id: str | None = None,
    ) -> VenueOrder | None:
        """Return the order named by either id, or ``None`` if the exchange does not know it."""
        params = _by_client_id(client_order_id, venue_order_id)
        market = await self._symbol(symbol)
        try:
            raw = await self._exchange.fetch_order(venue_order_id, market, params)
        except ccxt.BaseError as error:
            if self._venue_no(error):
                return None
            raise translate(error, self._name, "query", self._secrets) from None
        order = order_from_ccxt(raw, symbol)
        if client_order_id is not None and order.client_order_id != client_order_id:
            return None
        return order

    async def open_orders(self, symbol: str | None = None) -> list[VenueOrder]:
        """Return the working orders, oldest first, of one symbol or all."""
        market = None if symbol is None else await self._symbol(symbol)
        raw = await self._call("open orders", lambda: self._exchange.fetch_open_orders(market))
        orders = self._orders(raw)
        return sorted((o for o in orders if o.is_open), key=lambda o: o.created_at)

    def _orders(self, raw: list[dict[str, Any]]) -> list[VenueOrder]:
        out = []
        for order in raw:
            ours = from_ccxt_symbol(str(order.get("symbol", "")))
            if ours is not None:
                out.append(order_from_ccxt(order, ours))
        return out

    async def _orders_since(self, symbol: str, since: datetime) -> list[VenueOrder]:
        """Every order of ``symbol`` created at or after ``since``, page by page."""
        market = await self._symbol(symbol)
        has = self._exchange.has
        fetch = self._exchange.fetch_orders if has.get("fetchOrders") else None
        if fetch is None:  # venues that list open and closed orders apart
            closed = await self._pages(market, since, self._exchange.fetch_closed_orders)
            return self._orders(closed) + await self.open_orders(symbol)
        return self._orders(await self._pages(market, since, fetch))

    async def _pages(
        self, market: str, since: datetime, fetch: Callable[..., Awaitable[list[dict[str, Any]]]]
    ) -> list[dict[str, Any]]:
        """Call ``fetch(market, since_ms, limit)`` from ``since`` on, until a short page."""
        rows: dict[str, dict[str, Any]] = {}
        start = ms(since)
        while True:
            page = await self._call("list", partial(fetch, market, start, _PAGE))
            fresh = [row for row in page if str(row["id"]) not in rows]
            rows.update((str(row["id"]), row) for row in page)
            if len(page) < _PAGE or not fresh:  # the last page, or one that moved nowhere
                return list(rows.values())
            start = max(int(row["timestamp"]) for row in page)

    async def closed_orders(self, symbol: str, since: datetime) -> list[VenueOrder]:
        """Return the orders of ``symbol`` that finished at or after ``since``, oldest first."""
        orders = await self._orders_since(symbol, since)
        done = [o for o in orders if not o.is_open and o.updated_at >= since]
        return sorted(done, key=lambda o: (o.updated_at, o.created_at))

    async def fills_since(self, symbol: str, since: datetime) -> list[VenueFill]:
        """Return the account's executions in ``symbol`` at or after ``since``, oldest first."""
        return await self._fills(symbol, since, await self._orders_since(symbol, since))

    async def _fills(
        self, symbol: str, since: datetime, orders: list[VenueOrder]
    ) -> list[VenueFill]:
        """The fills since ``since``, named by client id from ``orders`` (or by asking)."""
        market = await self._symbol(symbol)
        trades = await self._pages(market, since, self._exchange.fetch_my_trades)
        client_ids = {o.venue_order_id: o.client_order_id for o in orders}
        for order_id in {str(t.get("order")) for t in trades} - set(client_ids):
            # An order older than ``since`` with a fill after it: ask for it by id.
            older = await self.query(symbol, venue_order_id=order_id)
            client_ids[order_id] = "" if older is None else older.client_order_id
        fills = [fill_from_ccxt(t, symbol, client_ids[str(t.get("order"))]) for t in trades]
        return sorted(
            (f for f in fills if f.executed_at >= since),
            key=lambda f: (f.executed_at, _numeric(f.trade_id)),
        )

    async def balances(self) -> Mapping[str, Balance]:
        """Return the account's balances by asset."""
        raw = await self._call("balances", self._exchange.fetch_balance)
        free, used = raw.get("free") or {}, raw.get("used") or {}
        out = {}
        for asset in sorted(set(free) | set(used)):
            available = number(free.get(asset)) or Decimal(0)
            locked = number(used.get(asset)) or Decimal(0)
            out[asset] = Balance(asset, available, locked)
        return out

    # -- reports ---------------------------------------------------------------------------

    async def reports(self) -> AsyncIterator[ExecutionReport]:
        """Yield reports synthesised from polled orders and trades, each event once.

        Polled: the symbols this connector traded in, and those of the orders working when
        the stream started (a restarted desk hears of its earlier orders too).
        """
        poller = ReportPoller(since=datetime.now(UTC) - timedelta(seconds=1))
        self._active.update(o.symbol for o in await self.open_orders(None))
        while True:
            for symbol in sorted(self._active):
                orders = await self._orders_since(symbol, poller.since)
                fills = await self._fills(symbol, poller.since, orders)
                for report in poller.poll(symbol, orders, fills):
                    yield report
            await self._doorbell()

    async def _doorbell(self) -> None:
        """Wait for the next poll: an order update pushed by the exchange, or the interval."""
        if not self._watch:
            await asyncio.sleep(self._poll)
            return
        try:
            await asyncio.wait_for(self._exchange.watch_orders(), self._poll)
        except TimeoutError:
            return
        except ccxt.BaseError as error:  # a broken stream: poll on the interval instead
            log.warning("%s watch_orders failed, polling: %s", self._name, self._reason(error))
            self._watch = False
            await asyncio.sleep(self._poll)


def _by_client_id(client_order_id: str | None, venue_order_id: str | None) -> dict[str, str]:
    if venue_order_id is not None:
        return {}
    if client_order_id is None:
        raise ValueError("name the order by client_order_id or venue_order_id")
    return {"clientOrderId": client_order_id}


def _numeric(trade_id: str) -> tuple[int, str]:
    return (int(trade_id), "") if trade_id.isdigit() else (0, trade_id)
