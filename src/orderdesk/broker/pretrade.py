"""Pre-trade rules from the venue's filters: quantize, then check, before anything is kept.

Rounding, chosen so that quantizing never makes an order worse for its owner:

* quantity: down to a multiple of ``step_size`` (never trade more than asked);
* BUY price and stop price: down to a multiple of ``tick_size`` (never pay more);
* SELL price and stop price: up to a multiple of ``tick_size`` (never sell for less).

Then: at least ``min_quantity``, at most ``max_quantity``, a notional (quantity x limit
price, or x the reference price for a MARKET order) of at least ``min_notional``, and,
when balances are given, enough free quote asset for a BUY (its notional) or free base
asset for a SELL (its quantity). A failure raises :class:`PreTradeRejected` with the
venue's reject code; nothing has been recorded or sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from orderdesk.errors import PreTradeRejected
from orderdesk.model import Order, Side, decimal_text
from orderdesk.model.decimals import EXACT
from orderdesk.model.venue import Balance, Market, RejectCode

__all__ = ["Rounding", "check_order", "quantize", "roundings"]


def quantize(value: Decimal, increment: Decimal, *, up: bool) -> Decimal:
    """Round ``value`` to a multiple of ``increment``, up or down, exactly."""
    if increment == 0:
        return value
    steps = EXACT.divide_int(value, increment)
    if up and EXACT.remainder(value, increment) != 0:
        steps = EXACT.add(steps, 1)
    result = EXACT.multiply(steps, increment)
    exponent = increment.as_tuple().exponent
    assert isinstance(exponent, int)
    return result.quantize(Decimal(1).scaleb(min(exponent, 0)), context=EXACT)


class Rounding(NamedTuple):
    """One field that :func:`check_order` puts on the market's tick or step."""

    field: str
    """``quantity``, ``price`` or ``stop_price``."""
    before: Decimal
    after: Decimal
    increment: Decimal
    """The tick (prices) or step (quantity) it is rounded to."""


def roundings(order: Order, market: Market) -> list[Rounding]:
    """The fields :func:`check_order` would round to put ``order`` on ``market``'s tick and
    step, each with its value before and after; empty when the order is on them already.

    Raise :class:`PreTradeRejected` for a price that would round to zero.
    """
    quantity = quantize(order.quantity, market.step_size, up=False)
    found = [Rounding("quantity", order.quantity, quantity, market.step_size)]
    for name, value in (("price", order.price), ("stop_price", order.stop_price)):
        rounded = _price(value, market, order.side)
        if value is not None and rounded is not None:
            found.append(Rounding(name, value, rounded, market.tick_size))
    return [r for r in found if r.after != r.before]


def _price(value: Decimal | None, market: Market, side: Side) -> Decimal | None:
    if value is None:
        return None
    rounded = quantize(value, market.tick_size, up=side is Side.SELL)
    if rounded <= 0:
        raise PreTradeRejected(
            RejectCode.PRICE_NOT_ON_TICK,
            f"price {decimal_text(value)} rounds to {decimal_text(rounded)} "
            f"on tick {decimal_text(market.tick_size)}",
        )
    return rounded


def check_order(
    order: Order,
    market: Market,
    *,
    reference_price: Decimal | None = None,
    balances: Mapping[str, Balance] | None = None,
) -> Order:
    """Return ``order`` quantized to ``market``'s filters; raise if it breaks one.

    ``reference_price`` (the venue's mid quote) prices a MARKET order's notional.
    """
    if order.symbol != market.symbol:
        raise PreTradeRejected(
            RejectCode.UNKNOWN_SYMBOL, f"order is for {order.symbol}, market is {market.symbol}"
        )
    quantity = quantize(order.quantity, market.step_size, up=False)
    price = _price(order.price, market, order.side)
    stop_price = _price(order.stop_price, market, order.side)
    shown = f"{decimal_text(quantity)} {market.base_asset}"
    if quantity < market.min_quantity or quantity <= 0:
        raise PreTradeRejected(
            RejectCode.BELOW_MIN_QUANTITY,
            f"quantity {decimal_text(order.quantity)} rounds to {shown} on step "
            f"{decimal_text(market.step_size)}; the minimum is {decimal_text(market.min_quantity)}",
        )
    if market.max_quantity is not None and quantity > market.max_quantity:
        raise PreTradeRejected(
            RejectCode.ABOVE_MAX_QUANTITY,
            f"quantity {shown} is above the maximum {decimal_text(market.max_quantity)}",
        )
    unit_price = price if price is not None else reference_price
    notional = None if unit_price is None else EXACT.multiply(quantity, unit_price)
    if notional is not None and notional < market.min_notional:
        raise PreTradeRejected(
            RejectCode.BELOW_MIN_NOTIONAL,
            f"notional {decimal_text(notional)} {market.quote_asset} is below the minimum "
            f"{decimal_text(market.min_notional)}",
        )
    if balances is not None:
        _check_balance(order.side, market, quantity, notional, balances)
    if (quantity, price, stop_price) == (order.quantity, order.price, order.stop_price):
        return order
    return order.model_copy(update={"quantity": quantity, "price": price, "stop_price": stop_price})


def _check_balance(
    side: Side,
    market: Market,
    quantity: Decimal,
    notional: Decimal | None,
    balances: Mapping[str, Balance],
) -> None:
    asset, needed = (
        (market.quote_asset, notional) if side is Side.BUY else (market.base_asset, quantity)
    )
    if needed is None:
        return  # a MARKET BUY without a reference price: the venue checks it
    balance = balances.get(asset)
    free = balance.free if balance is not None else Decimal(0)
    if free < needed:
        raise PreTradeRejected(
            RejectCode.INSUFFICIENT_BALANCE,
            f"needs {decimal_text(needed)} {asset}, {decimal_text(free)} is free",
        )
