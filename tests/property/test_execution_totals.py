"""The weighted slippage decided from float sums is the exact figure, or no figure at all.

A store adds ``float(notional) x units`` in floating point, in whatever order it scans its
rows. :func:`weighted_bps_of_floats` must give a figure only when it is the one exact
Decimal arithmetic gives (and then it must give it for ordinary ledgers); on a tie or any
doubt it gives ``None`` and the store adds the exact notionals.
"""

from __future__ import annotations

import math
import os
import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from orderdesk.model.decimals import EXACT
from orderdesk.model.execution_totals import (
    BPS_PLACES,
    FLOAT_EXACT,
    weighted_bps,
    weighted_bps_of_floats,
)

Term = tuple[Decimal, int]  # (notional, slippage units)


def _exact(terms: list[Term]) -> Decimal | None:
    weighted = notional = Decimal(0)
    for value, units in terms:
        weighted = EXACT.add(weighted, EXACT.multiply(value, units))
        notional = EXACT.add(notional, value)
    return weighted_bps(EXACT.scaleb(weighted, -BPS_PLACES), notional)


def _floats(terms: list[Term]) -> Decimal | None:
    weighted = notional = 0.0
    for value, units in terms:  # naive summation, in the order given
        approximate = float(value)
        weighted += approximate * units
        notional += approximate
    largest = max(abs(units) for _, units in terms)
    return weighted_bps_of_floats(weighted, notional, len(terms), largest)


notionals = st.integers(0, 18).flatmap(
    lambda places: st.integers(1, 10**38 - 1).map(lambda c: Decimal(c).scaleb(-places))
)
units = st.integers(-(FLOAT_EXACT - 1), FLOAT_EXACT - 1) | st.integers(-(10**7), 10**7)
terms = st.lists(st.tuples(notionals, units), min_size=1, max_size=40)


@settings(max_examples=500, deadline=None)
@given(terms, st.randoms(use_true_random=False))
def test_a_figure_decided_by_floats_is_the_exact_figure(
    found: list[Term], rng: random.Random
) -> None:
    rng.shuffle(found)  # any scan order
    decided = _floats(found)
    assert decided is None or decided == _exact(found)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(notionals, st.integers(-3, 3)), min_size=1, max_size=6))
def test_small_slippages_on_any_notionals_are_never_misjudged(found: list[Term]) -> None:
    """Ties and near-ties are most likely with few orders and small slippages."""
    decided = _floats(found)
    assert decided is None or decided == _exact(found)


def test_a_tie_is_left_to_the_exact_sums() -> None:
    """1 and 2 units on equal notionals weigh exactly 1.5 units: the floats give nothing,
    and the exact figure is the even neighbour, 2."""
    tie = [(Decimal("100.00000001"), 1), (Decimal("100.00000001"), 2)]
    assert _floats(tie) is None
    assert _exact(tie) == Decimal("0.000002")


def test_floats_that_are_no_sums_decide_nothing() -> None:
    assert weighted_bps_of_floats(1.0, 1.0, 0, 1) is None  # no orders
    assert weighted_bps_of_floats(1.0, 0.0, 1, 1) is None  # no notional
    assert weighted_bps_of_floats(float("inf"), 1.0, 1, 1) is None
    assert weighted_bps_of_floats(1.0, float("inf"), 1, 1) is None
    assert weighted_bps_of_floats(float("nan"), 1.0, 1, 1) is None


def test_an_ordinary_ledger_is_decided_by_its_floats() -> None:
    """Ten thousand orders like a trading day's: the floats decide, exactly."""
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}")
    rng = random.Random(seed)
    found = [
        (
            Decimal(rng.randint(1, 10**9)).scaleb(-rng.choice((2, 5, 7))),
            rng.randint(-(10**8), 10**8),
        )
        for _ in range(10_000)
    ]
    decided = _floats(found)
    if decided is None:  # only within the error bound (about 5e-4 units here) of a tie
        weighted = sum((Fraction(n) * u for n, u in found), Fraction(0))
        ratio = weighted / sum((Fraction(n) for n, _ in found), Fraction(0))
        assert abs(ratio - math.floor(ratio) - Fraction(1, 2)) < Fraction(1, 1000), seed
    else:
        assert decided == _exact(found), seed
