"""The MarketData port: where the broker reads the market."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol, runtime_checkable

__all__ = ["MarketData"]


@runtime_checkable
class MarketData(Protocol):
    """Where the broker reads the market: the arrival price of an order is its mid quote."""

    async def mid_price(self, symbol: str) -> Decimal | None:
        """Return the mid of the best bid and ask of ``symbol`` now, or ``None`` if unknown."""
        ...
