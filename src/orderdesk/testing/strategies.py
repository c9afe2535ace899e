"""Hypothesis strategies for orderdesk's values: valid and invalid decimals, orders, fills."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

__all__ = ["decimal_texts", "invalid_decimal_inputs", "positive_decimals"]

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
