"""Client order ids: the order id as each venue will accept it, and back.

The client order id is how a venue lets us find an order we sent when its reply was lost,
so the mapping must be exact both ways: ``decode(encode(order_id))`` is the
order id, and a client id we did not make decodes to ``None``. Venue rules:

=========  ==========================================  ==============================
venue      accepts                                     ``ORD_20251201_150000_a1b2c3d4``
=========  ==========================================  ==============================
binance    ``[A-Za-z0-9._:/-]{1,36}``                   unchanged
bybit      ``[A-Za-z0-9_-]{1,36}``                      unchanged
paper      as binance                                  unchanged
loopback   as binance (it serves Binance's API)        unchanged
okx        ``[A-Za-z0-9]{1,32}``                        ``ORD20251201150000a1b2c3d4``
kraken     UUID, 32 hex digits, or 18 characters       32 hex digits (below)
=========  ==========================================  ==============================

The kraken form is ten zeros, the 14 time digits and the 8 hex digits:
``000000000020251201150000a1b2c3d4``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from orderdesk.model.ids import ORDER_ID

__all__ = ["CLIENT_ID_CODECS", "ClientIdCodec", "codec_for"]


@dataclass(frozen=True, slots=True)
class ClientIdCodec:
    """Turn order ids into one venue's client order ids and back."""

    venue: str
    accepts: re.Pattern[str]
    _encode: Callable[[str], str]
    _decode: Callable[[str], str]

    def encode(self, order_id: str) -> str:
        """Return the client order id for ``order_id``; raise ``ValueError`` if malformed."""
        if ORDER_ID.fullmatch(order_id) is None:
            raise ValueError(f"{order_id!r} is not an order id")
        client_id = self._encode(order_id)
        assert self.accepts.fullmatch(client_id), (self.venue, client_id)
        return client_id

    def decode(self, client_id: str) -> str | None:
        """Return the order id behind ``client_id``, or ``None`` if we did not make it."""
        if self.accepts.fullmatch(client_id) is None:
            return None
        order_id = self._decode(client_id)
        if ORDER_ID.fullmatch(order_id) is None or self._encode(order_id) != client_id:
            return None
        return order_id


def _same(order_id: str) -> str:
    return order_id


_OKX_SHAPE = re.compile(r"ORD([0-9]{8})([0-9]{6})([0-9a-f]{8})")
_KRAKEN_SHAPE = re.compile(r"0{10}([0-9]{8})([0-9]{6})([0-9a-f]{8})")


def _strip(order_id: str) -> str:
    return order_id.replace("_", "")


def _unstrip(client_id: str) -> str:
    match = _OKX_SHAPE.fullmatch(client_id)
    return "" if match is None else "ORD_{}_{}_{}".format(*match.groups())


def _to_hex(order_id: str) -> str:
    return "0" * 10 + order_id[4:].replace("_", "")


def _from_hex(client_id: str) -> str:
    match = _KRAKEN_SHAPE.fullmatch(client_id)
    return "" if match is None else "ORD_{}_{}_{}".format(*match.groups())


_BINANCE = re.compile(r"[A-Za-z0-9._:/-]{1,36}")

CLIENT_ID_CODECS: Final[Mapping[str, ClientIdCodec]] = MappingProxyType(
    {
        "binance": ClientIdCodec("binance", _BINANCE, _same, _same),
        "bybit": ClientIdCodec("bybit", re.compile(r"[A-Za-z0-9_-]{1,36}"), _same, _same),
        "paper": ClientIdCodec("paper", _BINANCE, _same, _same),
        "loopback": ClientIdCodec("loopback", _BINANCE, _same, _same),
        "okx": ClientIdCodec("okx", re.compile(r"[A-Za-z0-9]{1,32}"), _strip, _unstrip),
        "kraken": ClientIdCodec(
            "kraken",
            re.compile(
                r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|.{1,18}"
            ),
            _to_hex,
            _from_hex,
        ),
    }
)


def codec_for(venue: str) -> ClientIdCodec:
    """Return the codec of ``venue``; raise ``ValueError`` naming the known venues."""
    try:
        return CLIENT_ID_CODECS[venue]
    except KeyError:
        known = ", ".join(sorted(CLIENT_ID_CODECS))
        raise ValueError(f"no client-id codec for venue {venue!r}; known: {known}") from None
