"""Binance spot REST shapes: symbols, filters, orders, trades and error codes.

Pure translation between orderdesk's venue types and the JSON the Binance spot API sends
(https://developers.binance.com/docs/binance-spot-api-docs/rest-api), so that Binance
clients, ccxt among them, can trade against the loopback server unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from typing import Any

from orderdesk.model import (
    Balance,
    Market,
    OrderStatus,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    VenueFill,
    VenueOrder,
)

__all__ = [
    "ApiError",
    "order_from_json",
    "reject_code",
    "time_from_ms",
    "exchange_info",
    "fill_json",
    "order_json",
    "reject_error",
    "to_binance_symbol",
]

_WIDE = Context(prec=80)

_STATUS = {
    OrderStatus.OPEN: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELLED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED",
    OrderStatus.PENDING: "PENDING_NEW",
}
_TYPE = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
}
ORDER_TYPES = {name: kind for kind, name in _TYPE.items()}
TIME_IN_FORCE = {
    "GTC": TimeInForce.GTC,
    "IOC": TimeInForce.IOC,
    "FOK": TimeInForce.FOK,
    "GTD": TimeInForce.GTD,  # with goodTillDate in epoch milliseconds, as Binance's GTD
}
SIDES = {"BUY": Side.BUY, "SELL": Side.SELL}


class ApiError(Exception):
    """A Binance error answer: HTTP status, Binance code, message (and Retry-After)."""

    def __init__(self, http: int, code: int, msg: str, retry_after: int | None = None) -> None:
        self.http = http
        self.code = code
        self.msg = msg
        self.retry_after = retry_after
        super().__init__(f"{http} {code} {msg}")

    def body(self) -> dict[str, object]:
        """Return the JSON body Binance sends."""
        return {"code": self.code, "msg": self.msg}


_REJECTS: dict[RejectCode, tuple[int, str]] = {
    RejectCode.UNKNOWN_SYMBOL: (-1121, "Invalid symbol."),
    RejectCode.INVALID_ORDER: (-1102, "Param 'goodTillDate' is invalid."),
    RejectCode.INVALID_CLIENT_ORDER_ID: (
        -1100,
        "Illegal characters found in parameter 'newClientOrderId'; "
        "legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
    ),
    RejectCode.DUPLICATE_CLIENT_ORDER_ID: (-2010, "Duplicate order sent."),
    RejectCode.PRICE_NOT_ON_TICK: (-1013, "Filter failure: PRICE_FILTER"),
    RejectCode.QUANTITY_NOT_ON_STEP: (-1013, "Filter failure: LOT_SIZE"),
    RejectCode.BELOW_MIN_QUANTITY: (-1013, "Filter failure: LOT_SIZE"),
    RejectCode.ABOVE_MAX_QUANTITY: (-1013, "Filter failure: LOT_SIZE"),
    RejectCode.BELOW_MIN_NOTIONAL: (-1013, "Filter failure: NOTIONAL"),
    RejectCode.INSUFFICIENT_BALANCE: (
        -2010,
        "Account has insufficient balance for requested action.",
    ),
}


# LOT_SIZE stands for three of our codes; reading it back, it means "off the step".
_AMBIGUOUS = {RejectCode.BELOW_MIN_QUANTITY, RejectCode.ABOVE_MAX_QUANTITY}


def reject_error(code: RejectCode) -> ApiError:
    """Return the Binance error for a rejected new order."""
    binance_code, msg = _REJECTS[code]
    return ApiError(400, binance_code, msg)


def to_binance_symbol(symbol: str) -> str:
    """``BTC_USDT`` -> ``BTCUSDT``."""
    return symbol.replace("_", "")


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _text(value: Decimal | None) -> str:
    return "0" if value is None else format(value, "f")


def _filters(market: Market) -> list[dict[str, object]]:
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": _text(market.tick_size),
            "maxPrice": "1000000000",
            "tickSize": _text(market.tick_size),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": _text(market.min_quantity),
            "maxQty": _text(market.max_quantity or Decimal(9_000_000_000)),
            "stepSize": _text(market.step_size),
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": _text(market.min_notional),
            "applyMinToMarket": True,
            "maxNotional": "9000000000000",
            "applyMaxToMarket": False,
            "avgPriceMins": 0,
        },
    ]


def _precision(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def exchange_info(markets: Iterable[Market], server_time: datetime) -> dict[str, object]:
    """Return ``GET /api/v3/exchangeInfo`` for ``markets``."""
    return {
        "timezone": "UTC",
        "serverTime": _ms(server_time),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [
            {
                "symbol": to_binance_symbol(m.symbol),
                "status": "TRADING",
                "baseAsset": m.base_asset,
                "baseAssetPrecision": 8,
                "quoteAsset": m.quote_asset,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET", "STOP_LOSS_LIMIT"],
                "icebergAllowed": False,
                "ocoAllowed": False,
                "otoAllowed": False,
                "quoteOrderQtyMarketAllowed": False,
                "allowTrailingStop": False,
                "cancelReplaceAllowed": False,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "filters": _filters(m),
                "permissions": [],
                "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["EXPIRE_MAKER"],
                "quantityPrecision": _precision(m.step_size),
                "pricePrecision": _precision(m.tick_size),
            }
            for m in markets
        ],
    }


def order_json(order: VenueOrder) -> dict[str, object]:
    """Return an order as ``GET /api/v3/order`` shows it."""
    return {
        "symbol": to_binance_symbol(order.symbol),
        "orderId": int(order.venue_order_id),
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": _text(order.price),
        "origQty": _text(order.quantity),
        "executedQty": _text(order.filled_quantity),
        "cummulativeQuoteQty": _text(order.filled_notional),
        "status": _STATUS[order.status],
        "timeInForce": order.time_in_force.value,
        "type": _TYPE[order.order_type],
        "side": order.side.value,
        "stopPrice": _text(order.stop_price),
        "icebergQty": "0",
        "time": _ms(order.created_at),
        "updateTime": _ms(order.updated_at),
        "isWorking": order.is_open,
        "workingTime": _ms(order.created_at),
        "origQuoteOrderQty": "0",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    } | ({} if order.expire_at is None else {"goodTillDate": _ms(order.expire_at)})


def new_order_json(
    order: VenueOrder, fills: Iterable[VenueFill], transact_time: datetime, kind: str
) -> dict[str, object]:
    """Return the ``POST /api/v3/order`` answer of ``newOrderRespType`` ``kind``."""
    base: dict[str, object] = {
        "symbol": to_binance_symbol(order.symbol),
        "orderId": int(order.venue_order_id),
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "transactTime": _ms(transact_time),
    }
    if kind == "ACK":
        return base
    full = order_json(order)
    for key in ("time", "updateTime", "isWorking", "icebergQty", "origQuoteOrderQty"):
        full.pop(key)
    base.update(full)
    if kind == "FULL":
        base["fills"] = [
            {
                "price": _text(f.price),
                "qty": _text(f.quantity),
                "commission": _text(f.fee),
                "commissionAsset": f.fee_asset,
                "tradeId": int(f.trade_id),
            }
            for f in fills
        ]
    return base


def fill_json(fill: VenueFill) -> dict[str, object]:
    """Return a fill as ``GET /api/v3/myTrades`` shows it."""
    return {
        "symbol": to_binance_symbol(fill.symbol),
        "id": int(fill.trade_id),
        "orderId": int(fill.venue_order_id),
        "orderListId": -1,
        "price": _text(fill.price),
        "qty": _text(fill.quantity),
        "quoteQty": _text(_WIDE.multiply(fill.price, fill.quantity)),
        "commission": _text(fill.fee),
        "commissionAsset": fill.fee_asset,
        "time": _ms(fill.executed_at),
        "isBuyer": fill.side is Side.BUY,
        "isMaker": fill.liquidity.value == "MAKER",
        "isBestMatch": True,
    }


def account_json(balances: Mapping[str, Balance], at: datetime) -> dict[str, object]:
    """Return ``GET /api/v3/account``."""
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": _ms(at),
        "accountType": "SPOT",
        "balances": [
            {"asset": b.asset, "free": _text(b.free), "locked": _text(b.locked)}
            for b in balances.values()
        ],
        "permissions": ["SPOT"],
    }


# -- reading Binance's answers (the loopback client) ---------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FROM_STATUS = {name: status for status, name in _STATUS.items()} | {
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED
}
_FROM_MESSAGE = {msg: code for code, (_, msg) in _REJECTS.items() if code not in _AMBIGUOUS}
_FROM_CODE = {-1121: RejectCode.UNKNOWN_SYMBOL, -1100: RejectCode.INVALID_CLIENT_ORDER_ID}


def time_from_ms(ms: int) -> datetime:
    """Return Binance's epoch milliseconds as an aware UTC datetime."""
    return _EPOCH + timedelta(milliseconds=ms)


def reject_code(code: int, msg: str) -> RejectCode:
    """Return the reject code of a Binance refusal of a new order (LOT_SIZE: off the step)."""
    return _FROM_MESSAGE.get(msg) or _FROM_CODE.get(code) or RejectCode.INVALID_ORDER


def order_from_json(raw: Mapping[str, Any], symbol: str) -> VenueOrder:
    """Return a Binance order (query, cancel or new-order answer) as a ``VenueOrder``."""
    price = Decimal(raw["price"])
    stop = Decimal(raw.get("stopPrice", "0"))
    fallback = raw.get("transactTime", 0)
    return VenueOrder(
        venue_order_id=str(raw["orderId"]),
        client_order_id=raw["clientOrderId"],
        symbol=symbol,
        side=Side(raw["side"]),
        order_type=ORDER_TYPES.get(raw["type"], OrderType.STOP_LIMIT),
        time_in_force=TimeInForce(raw.get("timeInForce", "GTC")),
        quantity=Decimal(raw["origQty"]),
        price=price if price else None,
        stop_price=stop if stop else None,
        status=_FROM_STATUS[raw["status"]],
        filled_quantity=Decimal(raw["executedQty"]),
        filled_notional=Decimal(raw["cummulativeQuoteQty"]),
        created_at=time_from_ms(raw.get("time", fallback)),
        updated_at=time_from_ms(raw.get("updateTime", fallback)),
        expire_at=time_from_ms(raw["goodTillDate"]) if raw.get("goodTillDate") else None,
    )
