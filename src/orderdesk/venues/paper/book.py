"""One side of an order book: resting orders by price level, in time priority."""

from __future__ import annotations

from bisect import bisect_left, insort
from decimal import Decimal

from orderdesk.venues.paper.records import PaperOrder

__all__ = ["SideBook"]


class SideBook:
    """Resting orders of one side of one symbol.

    Levels map price -> orders in arrival order (a dict keeps insertion order and deletes
    in constant time); ``prices`` is the sorted list of non-empty levels.
    """

    __slots__ = ("is_bid", "levels", "prices")

    def __init__(self, *, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[Decimal, dict[str, PaperOrder]] = {}
        self.prices: list[Decimal] = []  # ascending

    def __len__(self) -> int:
        return sum(len(level) for level in self.levels.values())

    def add(self, order: PaperOrder) -> None:
        """Rest ``order`` at the back of its price level."""
        price = order.price
        assert price is not None
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = {}
            insort(self.prices, price)
        level[order.venue_order_id] = order

    def remove(self, order: PaperOrder) -> None:
        """Take ``order`` out of the book (it must be resting)."""
        price = order.price
        assert price is not None
        level = self.levels[price]
        del level[order.venue_order_id]
        if not level:
            del self.levels[price]
            del self.prices[bisect_left(self.prices, price)]

    def best(self) -> Decimal | None:
        """Return the best price (highest bid, lowest ask), or ``None`` when empty."""
        prices = self.prices
        if not prices:
            return None
        return prices[-1] if self.is_bid else prices[0]

    def prices_from_best(self) -> list[Decimal]:
        """Return the level prices, best first (a copy: safe to change the book meanwhile)."""
        return self.prices[::-1] if self.is_bid else self.prices[:]
