"""ccxt's unified structures (markets, orders, trades, balances) as orderdesk's venue types.

Symbols: orderdesk's ``BTC_USDT`` is ccxt's spot ``BTC/USDT``; markets of other kinds
(``BTC/USDT:USDT``) and assets outside ``[A-Z]+`` have no orderdesk symbol and are left
out. Numbers come from ccxt as text (the connector sets ``number = str``) and become
``Decimal`` exactly; a float, should one appear, goes through its shortest repr.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TICK_SIZE

from orderdesk.model import (
    Liquidity,
    Market,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    VenueFill,
    VenueOrder,
)

__all__ = [
    "from_ccxt_symbol",
    "market_from_ccxt",
    "ms",
    "number",
    "order_from_ccxt",
    "fill_from_ccxt",
    "time_from_ms",
    "to_ccxt_symbol",
]

_SYMBOL: Final = re.compile(r"([A-Z]+)_([A-Z]+)")
_ASSET: Final = re.compile(r"[A-Z]+")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_IN_FORCE: Final = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}


def to_ccxt_symbol(symbol: str) -> str:
    """``BTC_USDT`` -> ``BTC/USDT``; raise ``ValueError`` for anything else."""
    match = _SYMBOL.fullmatch(symbol)
    if match is None:
        raise ValueError(f"{symbol!r} is not an orderdesk symbol (BASE_QUOTE)")
    return f"{match[1]}/{match[2]}"


def from_ccxt_symbol(symbol: str) -> str | None:
    """``BTC/USDT`` -> ``BTC_USDT``; ``None`` for a symbol orderdesk cannot name."""
    base, slash, quote = symbol.partition("/")
    if not slash or _ASSET.fullmatch(base) is None or _ASSET.fullmatch(quote) is None:
        return None
    return f"{base}_{quote}"


def number(value: object) -> Decimal | None:
    """Return ccxt's number (text, int or float) as a ``Decimal``; ``None`` stays ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _positive(value: object) -> Decimal | None:
    found = number(value)
    return found if found is not None and found > 0 else None


def ms(at: datetime) -> int:
    """Return ``at`` as epoch milliseconds."""
    return (at - _EPOCH) // timedelta(milliseconds=1)


def time_from_ms(value: object, fallback: datetime | None = None) -> datetime:
    """Return epoch milliseconds as an aware UTC datetime (``fallback`` or now if absent)."""
    if value is None:
        return fallback or datetime.now(UTC)
    return _EPOCH + timedelta(milliseconds=int(str(value)))


def _increment(value: object, precision_mode: int) -> Decimal | None:
    found = number(value)
    if found is None:
        return None
    if precision_mode == TICK_SIZE:
        return found if found > 0 else None
    if precision_mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(found))
    return None  # significant digits: no fixed increment


def market_from_ccxt(raw: Mapping[str, Any], precision_mode: int) -> Market | None:
    """Return a spot market with its filters, or ``None`` if orderdesk cannot trade it."""
    symbol = from_ccxt_symbol(str(raw.get("symbol", "")))
    if symbol is None or not raw.get("spot", True) or raw.get("active") is False:
        return None
    precision = raw.get("precision") or {}
    tick = _increment(precision.get("price"), precision_mode)
    step = _increment(precision.get("amount"), precision_mode)
    if tick is None or step is None:
        return None
    limits = raw.get("limits") or {}
    amount = limits.get("amount") or {}
    cost = limits.get("cost") or {}
    base, quote = symbol.split("_")
    return Market(
        symbol=symbol,
        base_asset=base,
        quote_asset=quote,
        tick_size=tick,
        step_size=step,
        min_quantity=_positive(amount.get("min")) or step,
        min_notional=_positive(cost.get("min")) or Decimal(0),
        max_quantity=_positive(amount.get("max")),
    )


def _status(raw: Mapping[str, Any], filled: Decimal, quantity: Decimal) -> OrderStatus:
    status = raw.get("status")
    if status == "open":
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
    if status == "closed":
        # ccxt's "closed" is "done"; some venues say it of a cancelled, partly filled order.
        return OrderStatus.FILLED if filled >= quantity else OrderStatus.CANCELLED
    if status == "canceled":
        return OrderStatus.CANCELLED
    if status == "expired":
        return OrderStatus.EXPIRED
    if status == "rejected":
        return OrderStatus.REJECTED
    return OrderStatus.OPEN  # None or a venue's pending state: accepted, not yet working


def order_from_ccxt(raw: Mapping[str, Any], symbol: str) -> VenueOrder:
    """Return ccxt's unified order as a ``VenueOrder`` of orderdesk's ``symbol``."""
    quantity = number(raw.get("amount")) or Decimal(0)
    filled = number(raw.get("filled")) or Decimal(0)
    price = _positive(raw.get("price"))
    stop = _positive(raw.get("triggerPrice") or raw.get("stopPrice"))
    kind = raw.get("type")
    if stop is not None:
        order_type = OrderType.STOP_LIMIT
    elif kind == "market":
        order_type = OrderType.MARKET
    else:
        order_type = OrderType.LIMIT
    notional = number(raw.get("cost"))
    if notional is None:
        average = number(raw.get("average"))
        notional = filled * average if average is not None else Decimal(0)
    created = time_from_ms(raw.get("timestamp"))
    updated = time_from_ms(
        raw.get("lastUpdateTimestamp") or raw.get("lastTradeTimestamp"), fallback=created
    )
    return VenueOrder(
        venue_order_id=str(raw["id"]),
        client_order_id=str(raw.get("clientOrderId") or ""),
        symbol=symbol,
        side=Side(str(raw.get("side", "buy")).upper()),
        order_type=order_type,
        time_in_force=_TIME_IN_FORCE.get(str(raw.get("timeInForce")), TimeInForce.GTC),
        quantity=quantity,
        price=None if order_type is OrderType.MARKET else price,
        stop_price=stop,
        status=_status(raw, filled, quantity),
        filled_quantity=filled,
        filled_notional=notional,
        created_at=created,
        updated_at=max(updated, created),
    )


def fill_from_ccxt(
    raw: Mapping[str, Any], symbol: str, client_order_id: str, order: VenueOrder | None = None
) -> VenueFill:
    """Return ccxt's unified trade (one of our executions) as a ``VenueFill``.

    ``order`` fills in what a trade inside an order's answer leaves out (Binance's ``FULL``
    answer has no side, order id or time on its fills).
    """
    fee = raw.get("fee") or {}
    side = raw.get("side")
    return VenueFill(
        trade_id=str(raw["id"]),
        venue_order_id=str(raw.get("order") or (order.venue_order_id if order else "")),
        client_order_id=client_order_id,
        symbol=symbol,
        side=Side(str(side).upper()) if side else (order.side if order else Side.BUY),
        quantity=number(raw["amount"]) or Decimal(0),
        price=number(raw["price"]) or Decimal(0),
        fee=number(fee.get("cost")) or Decimal(0),
        fee_asset=str(fee.get("currency") or ""),
        liquidity=Liquidity.MAKER if raw.get("takerOrMaker") == "maker" else Liquidity.TAKER,
        executed_at=time_from_ms(
            raw.get("timestamp"), fallback=order.updated_at if order else None
        ),
    )
