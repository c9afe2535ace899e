"""Hypothesis strategies for orders, fills and event histories, valid by construction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from orderdesk.model.enums import Liquidity, OrderType, Side, TimeInForce
from orderdesk.model.events import Acked, Cancelled, Expired, Filled, OrderEvent, Rejected
from orderdesk.model.fill import Fill
from orderdesk.model.ids import generate_fill_id, generate_order_id
from orderdesk.model.order import Order

__all__ = [
    "INJECTIONS",
    "decimal_texts",
    "decimals",
    "events",
    "fills_of",
    "injection_text",
    "invalid_decimal_inputs",
    "orders",
    "positive_decimals",
    "times",
]

INJECTIONS = (
    "'; DROP TABLE orders; --",
    'x" OR "1"="1',
    "Robert'); DELETE FROM fills WHERE ('1'='1",
    "%s %(x)s ? :name $1",
    "\\x00\\n\\t tab\tnewline\n",
    "ünïcödé ✓ 注文",
)
"""Strings that break queries built by concatenation; stores must keep them verbatim."""

_START = datetime(2000, 1, 1, tzinfo=UTC)
_END = datetime(2099, 12, 31, tzinfo=UTC)


def times() -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes with microseconds, 2000-2099."""
    return st.datetimes(
        min_value=_START.replace(tzinfo=None), max_value=_END.replace(tzinfo=None)
    ).map(lambda naive: naive.replace(tzinfo=UTC))


@st.composite
def decimals(draw: st.DrawFn, max_integer_digits: int = 8, max_scale: int = 18) -> Decimal:
    """Positive decimals as written by hand, trailing zeros (the scale) included."""
    integer = draw(st.integers(0, 10**max_integer_digits - 1))
    scale = draw(st.integers(0, max_scale))
    fraction = draw(st.integers(0, 10**scale - 1)) if scale else 0
    text = f"{integer}.{fraction:0{scale}d}" if scale else str(integer)
    value = Decimal(text)
    if value == 0:
        return Decimal(f"1.{'0' * scale}" if scale else "1")
    return value


_text = st.one_of(st.sampled_from(INJECTIONS), st.text(min_size=1, max_size=40)).filter(
    lambda text: "\x00" not in text  # PostgreSQL TEXT cannot hold NUL
)


def injection_text() -> st.SearchStrategy[str]:
    """Free text, often a query-injection payload."""
    return _text


@st.composite
def orders(draw: st.DrawFn, group_id: str, max_scale: int = 18) -> Order:
    """PENDING orders of every type in ``group_id``, with awkward decimals and times.

    Lower ``max_scale`` to leave room for fractions of the quantity (see :func:`events`).
    """
    created = draw(times())
    kind = draw(st.sampled_from(OrderType))
    price = None if kind is OrderType.MARKET else draw(decimals())
    stop = draw(decimals()) if kind is OrderType.STOP_LIMIT else None
    tif = draw(st.sampled_from(TimeInForce))
    expire = created + draw(st.timedeltas(timedelta(microseconds=1), timedelta(days=30)))
    return Order(
        order_id=generate_order_id(created),
        parent_group_id=group_id,
        symbol=draw(st.sampled_from(["BTC_USDT", "ETH_USDT", "SOL_USDC"])),
        side=draw(st.sampled_from(Side)),
        order_type=kind,
        quantity=draw(decimals(max_scale=max_scale)),
        price=price,
        stop_price=stop,
        created_at=created,
        updated_at=created,
        time_in_force=tif,
        expire_at=expire if tif is TimeInForce.GTD else None,
    )


@st.composite
def fills_of(draw: st.DrawFn, order: Order, quantity: Decimal, trade_id: str) -> Fill:
    """A fill of ``quantity`` of ``order``, with random price, fee and liquidity."""
    executed = order.created_at + draw(st.timedeltas(timedelta(0), timedelta(days=1)))
    fee = draw(st.one_of(st.just(Decimal(0)), decimals(4, 8), decimals(4, 8).map(lambda d: -d)))
    return Fill(
        fill_id=generate_fill_id(executed),
        order_id=order.order_id,
        trade_id=trade_id,
        quantity=quantity,
        price=draw(decimals()),
        fee=fee,
        fee_asset=None if fee == 0 else draw(st.sampled_from(["USDT", "BNB"])),
        liquidity=draw(st.one_of(st.none(), st.sampled_from(Liquidity))),
        executed_at=executed,
    )


@st.composite
def events(draw: st.DrawFn, order: Order, trades: list[Fill]) -> OrderEvent:
    """One venue report about ``order``: any kind, legal or not, new or repeated.

    ``trades`` collects the fills drawn so far so that repeats (duplicates) occur. Fills
    are quarters, halves or all of the quantity: give an order of scale <= 16.
    """
    at = order.created_at + draw(st.timedeltas(timedelta(0), timedelta(days=2)))
    choice = draw(st.sampled_from(["ack", "fill", "fill", "repeat", "cancel", "expire", "reject"]))
    if choice == "ack":
        return Acked(at, draw(st.sampled_from([None, "V-1", "V-2"])))
    if choice == "repeat" and trades:
        return Filled(draw(st.sampled_from(trades)))
    if choice in ("fill", "repeat"):
        part = draw(st.sampled_from(["0.25", "0.5", "1"]))
        quantity = order.quantity * Decimal(part)
        fill = draw(fills_of(order, quantity, f"{order.order_id}-T{len(trades)}"))
        trades.append(fill)
        return Filled(fill)
    if choice == "cancel":
        return Cancelled(at)
    if choice == "expire":
        return Expired(at)
    return Rejected(at, draw(injection_text()), draw(st.one_of(st.none(), injection_text())))


_DIGITS = "0123456789"


@st.composite
def decimal_texts(draw: st.DrawFn, max_integer_digits: int = 20, max_scale: int = 18) -> str:
    """Draw a valid positive decimal string: 1-20 integer digits, 0-18 decimal places."""
    whole = draw(st.text(_DIGITS, min_size=1, max_size=max_integer_digits))
    scale = draw(st.integers(0, max_scale))
    fraction = draw(st.text(_DIGITS, min_size=scale, max_size=scale))
    text = f"{whole}.{fraction}" if fraction else whole
    if Decimal(text) == 0:  # quantities and prices are > 0
        text = f"{whole[:-1]}1.{fraction}" if fraction else f"{whole[:-1]}1"
    return text


def positive_decimals() -> st.SearchStrategy[Decimal]:
    """Draw valid positive decimals with their scale, as ``Decimal`` values."""
    return decimal_texts().map(Decimal)


_NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(lambda c: c not in _DIGITS)


@st.composite
def _corrupted_texts(draw: st.DrawFn) -> str:
    """A valid decimal string with one corruption a careless parser would accept."""
    text = draw(decimal_texts(max_integer_digits=6, max_scale=6))
    position = draw(st.integers(0, len(text)))
    corruption = draw(
        st.sampled_from(
            [" ", "\t", "\n", "_", "e", "E", "+", ",", "\u00a0", "\u2009", "x", "..", "-"]
        )
        | _NON_ASCII_DIGITS
    )
    return text[:position] + corruption + text[position:]


def invalid_decimal_inputs() -> st.SearchStrategy[object]:
    """Draw inputs that a quantity or price field must refuse."""
    return st.one_of(
        st.floats(),
        st.booleans(),
        st.none(),
        _corrupted_texts(),
        decimal_texts(max_integer_digits=4).map(lambda t: f"{t}e1"),
        decimal_texts(max_integer_digits=4).map(lambda t: f"-{t}"),
        st.sampled_from(["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "", ".", "-0"]),
        st.integers(0, 10).map(lambda n: "0" + ("." + "0" * n if n else "")),
        st.integers(max_value=0),
        st.integers(19, 30).map(lambda n: "1." + "0" * (n - 1) + "1"),
        st.integers(21, 30).map(lambda n: "1" * n),
        st.decimals(allow_nan=True, allow_infinity=True).filter(
            lambda d: not d.is_finite() or d <= 0
        ),
        st.integers(19, 40).map(lambda n: Decimal(1).scaleb(-n)),
        st.binary(max_size=4),
        st.lists(st.integers(1, 9), max_size=2),
    )
