"""Paper desks: an AsyncBroker recording in a Ledger and trading on an in-process PaperExchange.

:func:`paper_desk` builds every one of them: :func:`paper_broker`'s, the demo's, a paper
run's and the test kit's. :class:`PaperExchange` and :class:`MarketEvent` are named here
for the modules that drive a desk and must not name a venue themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from orderdesk.app.ledgers import open_ledger
from orderdesk.broker import BrokerSettings
from orderdesk.clocks import ManualClock, SystemClock
from orderdesk.desk import AsyncBroker, Broker
from orderdesk.ledger import Ledger
from orderdesk.model import Market
from orderdesk.ports import Clock, Connector
from orderdesk.venues.paper import (
    ClientIdScope,
    Faults,
    MarketEvent,
    PaperConnector,
    PaperExchange,
    Replay,
    read_csv,
)
from orderdesk.venues.paper.market_data import PaperMarketData

__all__ = [
    "DEFAULT_DEPOSITS",
    "DEFAULT_MARKETS",
    "MarketEvent",
    "PaperDesk",
    "PaperExchange",
    "generous_deposits",
    "paper_broker",
    "paper_desk",
    "paper_exchange",
    "read_feed",
]

DEFAULT_MARKETS = (
    Market(
        symbol="BTC_USDT",
        base_asset="BTC",
        quote_asset="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.00001"),
        min_quantity=Decimal("0.00001"),
        min_notional=Decimal("5"),
    ),
    Market(
        symbol="ETH_USDT",
        base_asset="ETH",
        quote_asset="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.0001"),
        min_quantity=Decimal("0.0001"),
        min_notional=Decimal("5"),
    ),
)
"""BTC_USDT and ETH_USDT with Binance-like filters."""

DEFAULT_DEPOSITS: Mapping[str, Decimal] = {
    "USDT": Decimal(100_000),
    "BTC": Decimal(1),
    "ETH": Decimal(10),
}


def generous_deposits(markets: Iterable[Market]) -> dict[str, Decimal]:
    """Return 1,000,000 of every quote asset of ``markets`` and 100 of every other base asset."""
    funds: dict[str, Decimal] = {}
    for market in markets:
        funds[market.quote_asset] = Decimal(1_000_000)
        funds.setdefault(market.base_asset, Decimal(100))
    return funds


def paper_exchange(
    markets: Iterable[Market] = DEFAULT_MARKETS,
    *,
    clock: Clock,
    accounts: Mapping[str, Mapping[str, Decimal]],
    seed: int = 0,
    faults: Faults | None = None,
    client_id_scope: ClientIdScope = ClientIdScope.OPEN,
    id_base: int | None = None,
) -> PaperExchange:
    """Return a PaperExchange listing ``markets``, each of ``accounts`` opened holding its
    deposits, with ``faults`` (none by default)."""
    exchange = PaperExchange(
        list(markets), clock=clock, seed=seed, client_id_scope=client_id_scope, id_base=id_base
    )
    for name, deposits in accounts.items():
        exchange.open_account(name, deposits, faults=faults)
    return exchange


def read_feed(path: str | Path, markets: Mapping[str, Market]) -> list[MarketEvent]:
    """Return the market events of a quotes, trades or bars CSV (layouts in
    :mod:`orderdesk.venues.paper.feeds`) of ``markets``; a bad file is a ``ValueError``."""
    return list(read_csv(path, markets=markets))


@dataclass(eq=False)
class PaperDesk:
    """A broker on a paper venue, and the levers that move the venue on."""

    broker: AsyncBroker
    ledger: Ledger
    exchange: PaperExchange
    clock: Clock
    market_data: PaperMarketData
    """The venue's mid quotes, the broker's arrival prices."""
    replay: Replay | None = None
    """The feed, replayed on the desk's simulated clock (``None``: quoted by hand)."""

    @property
    def account(self) -> str:
        """The account the broker trades as."""
        return self.broker.account

    def deliver(self) -> int:
        """Record the broker's account's reports that are due; return how many were of its
        orders (as a running report loop would)."""
        return self.broker.on_reports(self.exchange.take_reports(self.broker.account))

    def advance(self, delta: timedelta) -> int:
        """Replay the feed ``delta`` on (the clock moves with it); return the events applied."""
        return self._replay().advance(delta)

    def run_until(self, until: datetime) -> int:
        """Replay the feed up to ``until`` (the clock moves there); return the events applied."""
        return self._replay().run_until(until)

    def _replay(self) -> Replay:
        if self.replay is None:
            raise ValueError("this paper desk has no feed to replay")
        return self.replay


def paper_desk(
    ledger: str | Ledger = "memory://",
    *,
    account: str = "paper",
    others: Iterable[str] = (),
    markets: Iterable[Market] = DEFAULT_MARKETS,
    deposits: Mapping[str, Decimal] | None = DEFAULT_DEPOSITS,
    seed: int = 0,
    clock: Clock | None = None,
    start: datetime | None = None,
    feed: Iterable[MarketEvent] | None = None,
    faults: Faults | None = None,
    client_id_scope: ClientIdScope = ClientIdScope.OPEN,
    exchange: PaperExchange | None = None,
    connect: Callable[[PaperExchange, str], Connector] = PaperConnector,
    **broker_options: Any,
) -> PaperDesk:
    """Return an AsyncBroker set to ``account``, on a fresh PaperExchange, in a PaperDesk.

    * ``ledger``: a store URL (:func:`~orderdesk.app.open_ledger` opens it on the desk's
      clock once the exchange is built), or a Ledger on that clock.
    * The exchange lists ``markets`` and opens ``account`` and ``others`` (accounts the
      broker may be set to later), each holding ``deposits`` (``None``: plenty of every
      asset, :func:`generous_deposits`) with ``faults``. ``exchange`` is one already open,
      shared with another desk; these options are then its own.
    * Time: ``clock``; or simulated time from ``start`` (a ManualClock that only the desk
      moves); else the system's. ``feed`` is replayed on simulated time
      (:meth:`PaperDesk.advance`, :meth:`PaperDesk.run_until`).
    * ``connect(exchange, account)`` makes an account's connector (a PaperConnector, or one
      wrapped around it). ``broker_options`` go to the AsyncBroker.
    """
    if clock is not None and start is not None:
        raise ValueError("give a paper desk a clock or a start, not both")
    if clock is None:
        clock = SystemClock() if start is None else ManualClock(start)
    simulated = clock if isinstance(clock, ManualClock) else None
    if feed is not None and simulated is None:
        raise ValueError("a feed is replayed on simulated time: give the desk a start")
    listed = list(markets)
    if exchange is None:
        funds = generous_deposits(listed) if deposits is None else deposits
        exchange = paper_exchange(
            listed,
            clock=clock,
            accounts=dict.fromkeys((account, *others), funds),
            seed=seed,
            faults=faults,
            client_id_scope=client_id_scope,
        )
    venue = exchange

    def connector_for(settings: BrokerSettings) -> Connector:
        return connect(venue, settings.account)

    book = open_ledger(ledger, clock=clock) if isinstance(ledger, str) else ledger
    market_data = PaperMarketData(venue)
    broker = AsyncBroker(
        book, connector_for, clock=clock, market_data=market_data, **broker_options
    )
    broker.settings(account=account)
    replay = None if feed is None or simulated is None else Replay(venue, simulated, feed)
    return PaperDesk(broker, book, venue, clock, market_data, replay)


def paper_broker(
    ledger_url: str = "memory://",
    *,
    account: str = "paper",
    markets: Iterable[Market] = DEFAULT_MARKETS,
    deposits: Mapping[str, Decimal] = DEFAULT_DEPOSITS,
    seed: int = 0,
    clock: Clock | None = None,
) -> tuple[Broker, PaperExchange]:
    """Return a Broker trading on a fresh in-process PaperExchange, and the exchange.

    ``ledger_url`` is any store URL: ``memory://`` (default), a file path or
    ``sqlite:///orderdesk.db`` (durable), ``postgresql://...``. The broker is set to
    ``account``, funded with ``deposits``; feed the exchange quotes or a feed to trade.
    """
    desk = paper_desk(
        ledger_url, account=account, markets=markets, deposits=deposits, seed=seed, clock=clock
    )
    return Broker.around(desk.broker), desk.exchange
