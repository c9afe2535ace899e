"""The paper venue's market data: mid quotes for the broker's arrival prices."""

from __future__ import annotations

from decimal import Decimal

from orderdesk.model.decimals import EXACT
from orderdesk.venues.paper.exchange import PaperExchange

__all__ = ["PaperMarketData"]

_TWO = Decimal(2)


class PaperMarketData:
    """A :class:`~orderdesk.ports.MarketData` reading a PaperExchange's feed."""

    __slots__ = ("_exchange",)

    def __init__(self, exchange: PaperExchange) -> None:
        self._exchange = exchange

    async def mid_price(self, symbol: str) -> Decimal | None:
        """Return the mid of the feed's best bid and ask, or ``None`` if a side is empty."""
        if symbol not in self._exchange.markets:
            return None
        bid, ask = self._exchange.best_quote(symbol)
        if bid is None or ask is None:
            return None
        return EXACT.divide(EXACT.add(bid, ask), _TWO)
