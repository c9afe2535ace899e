"""Client-id codecs: every venue's form is accepted by it and decodes to the same order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderdesk.model.client_ids import CLIENT_ID_CODECS, codec_for
from orderdesk.model.ids import IdGenerator

VENUES = sorted(CLIENT_ID_CODECS)
order_ids = st.builds(
    lambda start, at: IdGenerator(start).make("ORD", at),
    st.integers(0, 2**32 - 1),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
)


@pytest.mark.parametrize(
    ("venue", "expected"),
    [
        ("binance", "ORD_20251201_150000_a1b2c3d4"),
        ("bybit", "ORD_20251201_150000_a1b2c3d4"),
        ("paper", "ORD_20251201_150000_a1b2c3d4"),
        ("loopback", "ORD_20251201_150000_a1b2c3d4"),
        ("okx", "ORD20251201150000a1b2c3d4"),
        ("kraken", "000000000020251201150000a1b2c3d4"),
    ],
)
def test_each_venue_form_of_the_example_order_id(venue: str, expected: str) -> None:
    codec = codec_for(venue)
    assert codec.encode("ORD_20251201_150000_a1b2c3d4") == expected
    assert codec.decode(expected) == "ORD_20251201_150000_a1b2c3d4"


@given(st.sampled_from(VENUES), order_ids)
def test_every_order_id_round_trips_in_a_form_the_venue_accepts(venue: str, oid: str) -> None:
    codec = codec_for(venue)
    client_id = codec.encode(oid)
    assert codec.accepts.fullmatch(client_id)
    assert codec.decode(client_id) == oid


@given(st.sampled_from(VENUES), st.text(max_size=40))
def test_foreign_client_ids_decode_to_none_or_to_their_own_source(venue: str, raw: str) -> None:
    codec = codec_for(venue)
    decoded = codec.decode(raw)
    assert decoded is None or codec.encode(decoded) == raw


@pytest.mark.parametrize("venue", VENUES)
def test_ids_from_other_tools_are_not_ours(venue: str) -> None:
    codec = codec_for(venue)
    assert codec.decode("web_1733065200000") is None
    assert codec.decode("d15708c1-dbb6-465d-b77d-47258319cc90") is None


def test_unknown_venue_and_bad_order_id_are_refused() -> None:
    with pytest.raises(ValueError, match="no client-id codec for venue 'ftx'; known: binance"):
        codec_for("ftx")
    with pytest.raises(ValueError, match="is not an order id"):
        codec_for("okx").encode("ORD_1")
