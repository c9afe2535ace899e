"""load(status=...): groups, exact statuses and sets, and helpful errors for typos."""

from __future__ import annotations

import pytest

from orderdesk import OrderStatus
from orderdesk.model.status_filter import status_filter

S = OrderStatus


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("OPEN", {S.OPEN, S.PARTIALLY_FILLED}),
        ("CLOSED", {S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED}),
        ("PENDING", {S.PENDING}),
        ("CANCELLED", {S.CANCELLED}),
        ("PARTIALLY_FILLED", {S.PARTIALLY_FILLED}),
        ("filled", {S.FILLED}),
        (S.OPEN, {S.OPEN, S.PARTIALLY_FILLED}),
        (S.EXPIRED, {S.EXPIRED}),
    ],
)
def test_status_names_and_groups(status: str, expected: set[OrderStatus]) -> None:
    assert status_filter(status=status) == frozenset(expected)


def test_no_status_means_every_status() -> None:
    assert status_filter() is None


def test_statuses_is_an_exact_set() -> None:
    assert status_filter(statuses=["OPEN"]) == frozenset({S.OPEN})
    assert status_filter(statuses=[S.FILLED, "cancelled"]) == frozenset({S.FILLED, S.CANCELLED})


def test_the_seeds_misspelling_suggests_the_right_name() -> None:
    with pytest.raises(ValueError, match="unknown order status 'CANECELLED'") as caught:
        status_filter(status="CANECELLED")
    message = str(caught.value)
    assert "Did you mean 'CANCELLED'?" in message
    assert "OPEN (OPEN + PARTIALLY_FILLED)" in message
    assert "CLOSED (CANCELLED + EXPIRED + FILLED + REJECTED)" in message
    for status in S:
        assert status.value in message


@pytest.mark.parametrize(
    ("bad", "hint"), [("OPNE", "OPEN"), ("closd", "CLOSED"), ("PENDNG", "PENDING")]
)
def test_typos_get_the_closest_suggestion(bad: str, hint: str) -> None:
    with pytest.raises(ValueError, match=f"Did you mean '{hint}'"):
        status_filter(status=bad)


def test_a_status_unlike_any_gets_no_suggestion_but_the_list() -> None:
    with pytest.raises(ValueError, match="Valid: ") as caught:
        status_filter(status="xyzzy")
    assert "Did you mean" not in str(caught.value)


def test_typos_in_statuses_are_refused_too() -> None:
    with pytest.raises(ValueError, match="Did you mean 'EXPIRED'"):
        status_filter(statuses=["FILLED", "EXPRIED"])


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        status_filter(status="OPEN", statuses=["OPEN"])
    with pytest.raises(ValueError, match="list of statuses"):
        status_filter(statuses="OPEN")
    with pytest.raises(ValueError, match="empty"):
        status_filter(statuses=[])
    with pytest.raises(ValueError, match="unknown order status '3'"):
        status_filter(status=3)  # type: ignore[arg-type]
