"""Strict decimal values for quantities, prices and fees.

Money is never a float. A decimal field accepts only ``str``, ``int`` or ``Decimal``:

* a string is ASCII digits with at most one dot and digits on both sides of it (``"0.5"``,
  ``"95000.00"``); no sign on quantities and prices, an optional ``-`` on fees; no
  whitespace, underscores, exponents, non-ASCII digits, ``NaN`` or ``Infinity``;
* at most 20 integer digits and 18 decimal places, so every value fits ``NUMERIC(38, 18)``;
* ``bool`` and ``float`` are refused outright (``0.1`` is not one tenth);
* negative zero is refused everywhere.

The scale is kept (``"95000.00"`` stays ``"95000.00"``) and JSON output is plain positional
notation, never an exponent.

Arithmetic on money goes through :data:`EXACT`, never the default context: Python's default
context keeps 28 significant digits and silently rounds (``500000 * 2000000 + 1E-16`` loses
its last digit). :data:`EXACT` has room for any sum of products of these values and raises
``decimal.Inexact`` rather than ever rounding.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow
from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

__all__ = [
    "EXACT",
    "MAX_INTEGER_DIGITS",
    "MAX_SCALE",
    "FeeDecimal",
    "PositiveDecimal",
    "decimal_text",
    "parse_fee",
    "parse_positive",
]

MAX_SCALE = 18
MAX_INTEGER_DIGITS = 20

EXACT = Context(prec=400, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
"""Decimal context for money: exact sums and products, and an exception instead of rounding."""

_UNSIGNED = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,18})?")
_SIGNED = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,18})?")
_ONE = Decimal(1)


def _shown(raw: object) -> str:
    """``repr`` of an input for a message; an int too long for ``repr`` is described."""
    try:
        return repr(raw)
    except ValueError:  # an int past sys.get_int_max_str_digits()
        return f"an {type(raw).__name__} too long to print"


def _checked(value: Decimal, raw: object) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"{_shown(raw)} is not a finite decimal")
    if value.is_zero() and value.is_signed():
        raise ValueError(f"{_shown(raw)} is a negative zero")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an int exponent
    if exponent < -MAX_SCALE:
        raise ValueError(f"{_shown(raw)} has more than {MAX_SCALE} decimal places")
    # The size is checked before the value is made positional: quantizing 1E+30 needs 31
    # digits, and the caller's decimal context (28 by default) would raise InvalidOperation.
    if not value.is_zero() and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"{_shown(raw)} has more than {MAX_INTEGER_DIGITS} integer digits")
    if exponent > 0:
        value = value.quantize(_ONE, context=EXACT)  # 1E+2 -> 100: positional, scale 0
    return value


_PLAIN = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")


def _diagnose(raw: str, shape: str) -> str:
    """Say what is wrong with a decimal string that failed its pattern."""
    plain = _PLAIN.fullmatch(raw)
    if plain is not None:
        whole, fraction = plain.groups()
        if fraction is not None and len(fraction) > MAX_SCALE:
            return f"{raw!r} has more than {MAX_SCALE} decimal places"
        if len(whole) > MAX_INTEGER_DIGITS:
            return f"{raw!r} has more than {MAX_INTEGER_DIGITS} integer digits"
        if raw.startswith("-"):
            return f"{raw!r} must be greater than 0"
    return f"{raw!r} is not a decimal string of the form {shape}"


def _parse(raw: object, pattern: re.Pattern[str], shape: str) -> Decimal:
    kind = type(raw)
    if kind is str:
        assert isinstance(raw, str)
        if pattern.fullmatch(raw) is None:
            raise ValueError(_diagnose(raw, shape))
        value = Decimal(raw)
        if value.is_zero() and raw.startswith("-"):
            raise ValueError(f"{raw!r} is a negative zero")
        return value
    if kind is Decimal:
        assert isinstance(raw, Decimal)
        return _checked(raw, raw)
    if kind is int:
        assert isinstance(raw, int)
        return _checked(Decimal(raw), raw)
    if isinstance(raw, bool | float):
        raise ValueError(f"{raw!r} is a {kind.__name__}; give a str, int or Decimal")
    if isinstance(raw, Decimal):  # subclasses
        return _checked(Decimal(raw), raw)
    if isinstance(raw, int):
        return _checked(Decimal(int(raw)), raw)
    raise ValueError(f"{_shown(raw)} is a {kind.__name__}; give a str, int or Decimal")


def parse_positive(raw: object) -> Decimal:
    """Parse a strictly positive decimal (a quantity or a price); raise ``ValueError``."""
    if type(raw) is Decimal and raw.is_finite() and raw > 0 and raw.adjusted() < MAX_INTEGER_DIGITS:
        # Fast path for the common case, a Decimal already in positional form: its text has
        # no exponent, so the digits after the dot are its scale. ``as_tuple`` costs 5x more.
        text = str(raw)
        if "E" not in text:
            dot = text.find(".")
            if dot < 0 or len(text) - dot <= MAX_SCALE + 1:
                return raw
    value = _parse(raw, _UNSIGNED, "'123' or '123.45'")
    if value <= 0:
        raise ValueError(f"{raw!r} must be greater than 0")
    return value


def parse_fee(raw: object) -> Decimal:
    """Parse a fee: zero, positive, or negative for a rebate; raise ``ValueError``."""
    return _parse(raw, _SIGNED, "'0.1' or '-0.1'")


def decimal_text(value: Decimal) -> str:
    """Return the canonical text of a decimal: positional, scale kept (``95000.00``)."""
    return format(value, "f")


def _schema(pattern: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": f"^{pattern}$"})


PositiveDecimal = Annotated[
    Decimal,
    PlainValidator(parse_positive),
    PlainSerializer(decimal_text, return_type=str, when_used="json"),
    _schema(_UNSIGNED.pattern),
]
"""A quantity or price: > 0, strict input, scale kept, JSON as a string."""

FeeDecimal = Annotated[
    Decimal,
    PlainValidator(parse_fee),
    PlainSerializer(decimal_text, return_type=str, when_used="json"),
    _schema(_SIGNED.pattern),
]
"""A fee: any sign (negative is a rebate), strict input, scale kept, JSON as a string."""
