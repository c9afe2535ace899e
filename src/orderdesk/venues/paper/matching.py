"""Price-time matching for one symbol: resting orders, the feed's depth, stops.

The book holds two kinds of liquidity. Our accounts' resting orders sit in :class:`SideBook`
levels. The market data feed supplies the rest of the market as depth levels (price,
quantity) that belong to the venue's house account; an incoming order walks both, best
price first and, at one price, resting orders before the feed's depth. Taking from the
feed's depth consumes it until the next quote replaces the snapshot.

Resting orders fill as makers at their own price when the market crosses them:

* a quote whose opposite side reaches the order's price fills it against that depth;
* a trade print strictly through the price fills it completely; a print *at* the price
  fills resting orders there in time priority, up to the printed quantity.

A STOP_LIMIT order waits until a trade print, or the best opposite quote, reaches its stop
(at or above it for a buy, at or below for a sell); it then works as a limit order, taking
what it can and resting the rest. A stop already reached at submit triggers at once.

An order never trades with a resting order of its own account: that resting order expires
instead (self-trade prevention, Binance's EXPIRE_MAKER), so one account never sees one
trade id twice.

Matching is two-phase: :meth:`SymbolBook.plan_take` computes what an incoming order would
take without changing anything (so FOK and balance checks can refuse first), and the
exchange then settles the plan.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from decimal import Decimal

from orderdesk.model import Market
from orderdesk.venues.paper.book import SideBook
from orderdesk.venues.paper.records import PaperOrder

__all__ = ["DepthLevel", "Step", "SymbolBook", "Take"]

_NOTHING = Decimal(0)

DepthLevel = list[Decimal]
"""``[price, quantity left]`` of one level of the feed's depth (mutable: it is consumed)."""


Step = tuple[PaperOrder | None, DepthLevel | None, Decimal, Decimal]
"""``(maker, level, price, quantity)``: one step of a taker's walk, as :class:`Take`'s fields."""


@dataclass(slots=True)
class Take:
    """One step of a taker's walk: ``quantity`` at ``price`` from a maker order or the feed."""

    maker: PaperOrder | None
    level: DepthLevel | None
    price: Decimal
    quantity: Decimal


def _walk_feed(
    feed: list[DepthLevel], buying: bool, quantity: Decimal, limit: Decimal | None
) -> list[Step]:
    """:meth:`SymbolBook.plan` when no order rests on the side taken: the feed's depth alone."""
    plan: list[Step] = []
    left = quantity
    fi = 0
    n_feed = len(feed)
    while left > 0:
        while fi < n_feed and feed[fi][1] <= 0:
            fi += 1
        if fi >= n_feed:
            break
        level = feed[fi]
        price = level[0]
        if limit is not None and (price > limit if buying else price < limit):
            break
        depth = level[1]
        take = depth if depth < left else left  # min(left, depth)
        plan.append((None, level, price, take))
        left -= take
        fi += 1
    return plan


class SymbolBook:
    """Everything one symbol's matching needs."""

    __slots__ = (
        "asks",
        "bids",
        "buy_stops",
        "feed_asks",
        "feed_bids",
        "last_price",
        "market",
        "sell_stops",
        "stop_seq",
    )

    def __init__(self, market: Market) -> None:
        self.market = market
        self.bids = SideBook(is_bid=True)
        self.asks = SideBook(is_bid=False)
        self.feed_bids: list[DepthLevel] = []  # best (highest) first
        self.feed_asks: list[DepthLevel] = []  # best (lowest) first
        self.last_price: Decimal | None = None
        # Stops wait in heaps keyed so the next to trigger is on top; cancelled ones are
        # skipped when popped (lazy deletion keeps cancel constant-time).
        self.buy_stops: list[tuple[Decimal, int, PaperOrder]] = []
        self.sell_stops: list[tuple[Decimal, int, PaperOrder]] = []
        self.stop_seq = 0

    # -- reference prices ------------------------------------------------------------------

    def best_feed(self, *, bid: bool) -> Decimal | None:
        """Return the best price of the feed's depth on one side, ignoring spent levels."""
        for price, quantity in self.feed_bids if bid else self.feed_asks:
            if quantity > 0:
                return price
        return None

    def reference_price(self, *, buying: bool) -> Decimal | None:
        """Return the price a market order would start at (for the min-notional check)."""
        if buying:
            prices = self.asks.prices
            user = prices[0] if prices else None
            levels = self.feed_asks
        else:
            prices = self.bids.prices
            user = prices[-1] if prices else None
            levels = self.feed_bids
        feed = None
        for price, quantity in levels:
            if quantity > 0:
                feed = price
                break
        if user is None:
            return feed if feed is not None else self.last_price
        if feed is None:
            return user
        return min(user, feed) if buying else max(user, feed)

    # -- taking ----------------------------------------------------------------------------

    def plan_take(
        self, *, buying: bool, quantity: Decimal, limit: Decimal | None, account: str
    ) -> list[Take]:
        """Return the walk an order of ``account`` for ``quantity`` up to ``limit`` would make.

        Self-trade prevention (Binance's EXPIRE_MAKER): a resting order of the same account
        is not traded with; it appears in the walk with quantity 0, to be expired.
        """
        return [Take(*step) for step in self.plan(buying, quantity, limit, account)]

    def plan(
        self, buying: bool, quantity: Decimal, limit: Decimal | None, account: str
    ) -> list[Step]:
        """:meth:`plan_take`'s walk as ``(maker, level, price, quantity)`` tuples."""
        book = self.asks if buying else self.bids
        feed = self.feed_asks if buying else self.feed_bids
        if not book.prices:
            return _walk_feed(feed, buying, quantity, limit)
        plan: list[Step] = []
        left = quantity
        fi = 0
        n_feed = len(feed)
        prices = book.prices  # ascending: a buy walks it from the start, a sell from the end
        ui = 0
        n_user = len(prices)
        while left > 0:
            while fi < n_feed and feed[fi][1] <= 0:
                fi += 1
            user_price = (prices[ui] if buying else prices[~ui]) if ui < n_user else None
            feed_price = feed[fi][0] if fi < n_feed else None
            if user_price is None and feed_price is None:
                break
            if user_price is not None and (
                feed_price is None
                or (user_price <= feed_price if buying else user_price >= feed_price)
            ):
                price = user_price
                if limit is not None and (price > limit if buying else price < limit):
                    break
                for maker in book.levels[price].values():
                    if maker.account == account:
                        plan.append((maker, None, price, _NOTHING))
                        continue
                    take = min(left, maker.quantity - maker.filled)
                    plan.append((maker, None, price, take))
                    left -= take
                    if not left:
                        break
                ui += 1
            else:
                assert feed_price is not None
                price = feed_price
                if limit is not None and (price > limit if buying else price < limit):
                    break
                level = feed[fi]
                take = min(left, level[1])
                plan.append((None, level, price, take))
                left -= take
                fi += 1
        return plan

    # -- the market moving through resting orders ------------------------------------------

    def cross_quote(self) -> list[tuple[PaperOrder, Decimal]]:
        """Return (order, quantity) maker fills of resting orders the new depth crosses.

        Consumes the depth it fills against.
        """
        out: list[tuple[PaperOrder, Decimal]] = []
        for book, feed in ((self.bids, self.feed_asks), (self.asks, self.feed_bids)):
            if not book.prices or not feed:
                continue
            buying = book.is_bid
            best, first = (book.prices[-1] if buying else book.prices[0]), feed[0][0]
            if first > best if buying else first < best:
                continue  # the usual quote: it reaches no resting order
            fi = 0
            for price in book.prices_from_best():
                if fi >= len(feed) or (feed[fi][0] > price if buying else feed[fi][0] < price):
                    break
                for order in book.levels[price].values():
                    need = order.quantity - order.filled
                    got = Decimal(0)
                    while need > 0 and fi < len(feed):
                        level = feed[fi]
                        if level[0] > price if buying else level[0] < price:
                            break
                        take = min(need, level[1])
                        level[1] -= take
                        need -= take
                        got += take
                        if not level[1]:
                            fi += 1
                    if got:
                        out.append((order, got))
                    if need:
                        break
        return out

    def cross_trade(self, price: Decimal, quantity: Decimal) -> list[tuple[PaperOrder, Decimal]]:
        """Return (order, quantity) maker fills of resting orders a print at ``price`` crosses."""
        out: list[tuple[PaperOrder, Decimal]] = []
        for book in (self.bids, self.asks):
            buying = book.is_bid
            pool = quantity
            for level_price in book.prices_from_best():
                if level_price < price if buying else level_price > price:
                    break
                through = level_price != price
                for order in book.levels[level_price].values():
                    need = order.quantity - order.filled
                    take = need if through else min(need, pool)
                    if not take:
                        break
                    if not through:
                        pool -= take
                    out.append((order, take))
        return out

    # -- stops -----------------------------------------------------------------------------

    def add_stop(self, order: PaperOrder) -> None:
        """Park a STOP_LIMIT order until the market reaches its stop price."""
        stop = order.stop_price
        assert stop is not None
        self.stop_seq += 1
        if order.is_buy:
            heapq.heappush(self.buy_stops, (stop, self.stop_seq, order))
        else:
            heapq.heappush(self.sell_stops, (-stop, self.stop_seq, order))

    def triggered_stops(self, high: Decimal | None, low: Decimal | None) -> list[PaperOrder]:
        """Pop the working stops that ``high`` (buy stops) or ``low`` (sell stops) reach."""
        out: list[PaperOrder] = []
        buys, sells = self.buy_stops, self.sell_stops
        if high is not None:
            while buys and buys[0][0] <= high:
                order = heapq.heappop(buys)[2]
                if order.is_open and not order.triggered:
                    out.append(order)
        if low is not None:
            while sells and -sells[0][0] >= low:
                order = heapq.heappop(sells)[2]
                if order.is_open and not order.triggered:
                    out.append(order)
        return out

    def would_trigger(self, order: PaperOrder) -> bool:
        """Whether a new stop is already reached by the current market."""
        stop = order.stop_price
        assert stop is not None
        if order.is_buy:
            ask = self.best_feed(bid=False)
            reached = [p for p in (self.last_price, ask) if p is not None]
            return any(p >= stop for p in reached)
        bid = self.best_feed(bid=True)
        reached = [p for p in (self.last_price, bid) if p is not None]
        return any(p <= stop for p in reached)
