"""A whole desk on a manual clock: PaperExchange, Ledger and AsyncBroker, wired for tests.

Time moves only when the broker sleeps (a retry's backoff, an in-doubt poll) or a test calls
:meth:`PaperDesk.step`; either way the exchange releases the reports that fell due and the
broker records them, as a running report loop would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from orderdesk.broker.retry import RetryPolicy
from orderdesk.broker.settings import BrokerSettings
from orderdesk.clocks import ManualClock
from orderdesk.desk import AsyncBroker
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import (
    Order,
    OrderType,
    Side,
    SubmitRequest,
    SubmitResult,
    generate_group_id,
)
from orderdesk.ports import Connector
from orderdesk.testing.paper import MARKET as BTC_USDT
from orderdesk.testing.paper import START
from orderdesk.venues.paper import PaperConnector, PaperExchange
from orderdesk.venues.paper.exchange import ClientIdScope
from orderdesk.venues.paper.faults import Faults
from orderdesk.venues.paper.market_data import PaperMarketData

__all__ = ["BTC_USDT", "START", "PaperDesk"]

FUNDS = {"BTC": Decimal(1000), "USDT": Decimal(100_000_000)}


@dataclass
class PaperDesk:
    """The venue's levers and the broker that trades on it."""

    seed: int = 0
    faults: Faults = field(default_factory=Faults)
    client_id_scope: ClientIdScope = ClientIdScope.OPEN
    store_url: str = "memory://"
    accounts: tuple[str, ...] = ("acct-1", "acct-2")
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    visibility_window: timedelta = timedelta(seconds=120)
    check_balance: bool = True
    report_stream: bool = True
    submit_timeout: timedelta | None = None
    """How long ``submit`` may resolve an in-doubt order; unbounded by default, so that a
    proof drives every submit to its end, as a resolver that never gives up would."""
    """Whether reports reach the broker; off, it learns only by asking (a dead user stream)."""

    def __post_init__(self) -> None:
        self.clock = ManualClock(START)
        self.exchange = PaperExchange(
            [BTC_USDT], clock=self.clock, seed=self.seed, client_id_scope=self.client_id_scope
        )
        for account in self.accounts:
            self.exchange.open_account(account, FUNDS, faults=self.faults)
        self.ledger = Ledger(open_store(self.store_url), self.clock)
        self.connectors: dict[str, PaperConnector] = {}
        self.submit_log: dict[str, list[datetime]] = {}
        """Every submit the broker sent (whatever became of it): client order id -> times."""
        self.broker = AsyncBroker(
            self.ledger,
            self._connect,
            clock=self.clock,
            market_data=PaperMarketData(self.exchange),
            policy=self.policy,
            rng=random.Random(self.seed),
            sleep=self._sleep,
            visibility_window=self.visibility_window,
            check_balance=self.check_balance,
            submit_timeout=self.submit_timeout,
        )
        self.broker.settings(account=self.accounts[0])
        self.quote(Decimal("94999.99"), Decimal("95000.01"))

    def _connect(self, settings: BrokerSettings) -> Connector:
        connector = _LoggedConnector(self.exchange, settings.account, self)
        self.connectors[settings.account] = connector
        return connector

    async def _sleep(self, seconds: float) -> None:
        self.step(timedelta(seconds=seconds))

    def step(self, delta: timedelta = timedelta(seconds=1)) -> None:
        """Move time on, release due reports and record them."""
        self.clock.advance(delta)
        self.exchange.advance()
        self.deliver()

    def deliver(self) -> int:
        """Record the current account's due reports; return how many were its orders'."""
        connector = self.connectors[self.broker.account]
        reports = connector.drain_reports()
        return self.broker.on_reports(reports) if self.report_stream else 0

    def quote(self, bid: Decimal, ask: Decimal, depth: Decimal = Decimal(50)) -> None:
        """Quote ``bid``/``ask`` ``depth`` deep, plus two deeper levels each side."""
        tick = Decimal(10)
        self.exchange.on_quote(
            "BTC_USDT",
            [(bid, depth), (bid - tick, depth * 2), (bid - 2 * tick, depth * 4)],
            [(ask, depth), (ask + tick, depth * 2), (ask + 2 * tick, depth * 4)],
        )
        self.deliver()

    def trade(self, price: Decimal, quantity: Decimal) -> None:
        """Print a trade on the feed and record what it filled."""
        self.exchange.on_trade("BTC_USDT", price, quantity)
        self.deliver()

    def order(
        self,
        side: str = "BUY",
        quantity: str = "0.01",
        price: str | None = None,
        kind: OrderType | None = None,
        **fields: object,
    ) -> Order:
        """Return a new order (MARKET unless a price is given) created now."""
        now = self.clock.now()
        order_type = kind or (OrderType.LIMIT if price is not None else OrderType.MARKET)
        return Order.model_validate(
            {
                "parent_group_id": generate_group_id(now),
                "symbol": "BTC_USDT",
                "side": Side(side),
                "order_type": order_type,
                "quantity": quantity,
                "price": price,
                "created_at": now,
                "updated_at": now,
                **fields,
            }
        )


class _LoggedConnector(PaperConnector):
    """A paper connector that notes the time of every submit it is asked to send."""

    __slots__ = ("_desk",)

    def __init__(self, exchange: PaperExchange, account: str, desk: PaperDesk) -> None:
        super().__init__(exchange, account)
        self._desk = desk

    async def submit(self, request: SubmitRequest) -> SubmitResult:
        """Note the attempt, then send it."""
        self._desk.submit_log.setdefault(request.client_order_id, []).append(self._desk.clock.now())
        return await super().submit(request)


@dataclass(frozen=True, slots=True)
class Audit:
    """The ledger against the venue's own books, order by order."""

    ledger_orders: int
    venue_orders: int
    lost: int
    """Orders the venue holds that the ledger does not show as placed (or does not know)."""
    duplicated: int
    """Extra venue orders for one ledger order (a resend the venue took twice)."""
    divergent: int
    """Orders whose status or filled quantity differ between ledger and venue."""
    in_doubt: int
    """Ledger orders still SENT or IN_DOUBT."""
    false_rejects: int
    """Orders the ledger calls REJECTED that the venue holds."""

    def line(self) -> str:
        """One line for the test output."""
        return (
            f"{self.ledger_orders} ledger orders, {self.venue_orders} venue orders: "
            f"lost {self.lost}, duplicated {self.duplicated}, divergent {self.divergent}, "
            f"in doubt {self.in_doubt}, false rejects {self.false_rejects}"
        )


def audit(desk: PaperDesk, account: str | None = None) -> Audit:
    """Compare ``account``'s ledger with the venue's records of it."""
    from orderdesk.model import OrderStatus  # noqa: PLC0415
    from orderdesk.model.records import SubmitState  # noqa: PLC0415

    account = account or desk.broker.account
    venue = {}
    extra = 0
    held_orders = desk.exchange.open_records(account) + desk.exchange.closed_records(
        account, "BTC_USDT", START
    )
    for held_order in held_orders:
        snapshot = held_order.snapshot()
        if snapshot.client_order_id in venue:
            extra += 1
        venue[snapshot.client_order_id] = snapshot
    lost = divergent = in_doubt = false_rejects = 0
    ours = list(desk.ledger.load_all(account))
    known = {r.client_order_id for r in ours}
    lost += sum(1 for client_id in venue if client_id not in known)
    for record in ours:
        held = venue.get(record.client_order_id)
        if record.submit_state in (SubmitState.SENT, SubmitState.IN_DOUBT):
            in_doubt += 1
        if held is None:
            if record.submit_state is SubmitState.ACKED:
                lost += 1
            continue
        if record.order.status is OrderStatus.REJECTED:
            false_rejects += 1
            lost += 1
        elif (record.order.status, record.filled_quantity) != (held.status, held.filled_quantity):
            divergent += 1
    return Audit(len(ours), len(held_orders), lost, extra, divergent, in_doubt, false_rejects)
