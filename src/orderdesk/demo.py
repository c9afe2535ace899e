"""The paper-trading session behind ``orderdesk demo``: a strategy, a feed, a durable ledger.

A seeded synthetic BTC_USDT feed drives a PaperExchange on a simulated clock (minutes of
market in seconds of CPU). A sample strategy trades through the AsyncBroker: MARKET orders
now and then, LIMIT orders a little inside the book, STOP_LIMIT orders beyond it, and
cancels of limits that rest too long. Every order, event and fill lands in a SQLite ledger.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orderdesk.app import PaperDesk
from orderdesk.app.demo import MARKET, MID, demo_desk
from orderdesk.errors import IntegrityAlarm
from orderdesk.ledger import Ledger
from orderdesk.model import Order, OrderType, Side, generate_group_id
from orderdesk.model.records import OrderRecord

__all__ = ["Session", "run_session"]


@dataclass
class Session:
    """What a paper session did: its account, its orders and where its ledger is."""

    account: str
    ledger: Ledger
    ledger_path: str | Path
    records: list[OrderRecord] = field(default_factory=list)
    cancels: int = 0
    simulated: timedelta = timedelta(0)
    interrupted: bool = False
    alarms: list[IntegrityAlarm] = field(default_factory=list)
    """Reports the ledger refused as contradicting it (each journaled on its order)."""


def _order(rng: random.Random, now: datetime, mid: Decimal) -> Order:
    side = rng.choice([Side.BUY, Side.SELL])
    quantity = Decimal(rng.randint(1, 40)) / 1000
    roll = rng.random()
    tick = MARKET.tick_size
    fields: dict[str, object] = {}
    if roll < 0.4:
        kind = OrderType.MARKET
    elif roll < 0.8:
        kind = OrderType.LIMIT  # a few ticks inside: fills when the walk comes to it
        offset = tick * rng.randint(1, 30)
        fields["price"] = mid - offset if side is Side.BUY else mid + offset
    else:
        kind = OrderType.STOP_LIMIT  # a breakout: triggers if the walk runs that way
        offset = tick * rng.randint(5, 40)
        stop = mid + offset if side is Side.BUY else mid - offset
        fields["stop_price"] = stop
        fields["price"] = stop + tick * 5 if side is Side.BUY else stop - tick * 5
    return Order.model_validate(
        {
            "parent_group_id": generate_group_id(now),
            "symbol": MARKET.symbol,
            "side": side,
            "order_type": kind,
            "quantity": quantity,
            "created_at": now,
            "updated_at": now,
            **fields,
        }
    )


async def _trade(
    session: Session,
    desk: PaperDesk,
    *,
    seconds: int,
    seed: int,
    progress: Callable[[int], None],
    stop: Callable[[], bool],
) -> None:
    broker, clock, market_data = desk.broker, desk.clock, desk.market_data
    rng = random.Random(seed)
    resting: dict[str, datetime] = {}
    for second in range(seconds):
        desk.advance(timedelta(seconds=1))
        desk.deliver()
        now = clock.now()
        if rng.random() < 0.15:
            mid = await market_data.mid_price(MARKET.symbol) or MID
            record = await broker.submit(_order(rng, now, mid))
            session.records.append(record)
            if not record.order.status.is_terminal:
                resting[record.order_id] = now
        for order_id, since in list(resting.items()):
            current = await broker.get(order_id)
            if current.order.status.is_terminal:
                del resting[order_id]
            elif now - since > timedelta(minutes=3) and rng.random() < 0.2:
                await broker.cancel(order_id)
                session.cancels += 1
                del resting[order_id]
        progress(second + 1)
        session.simulated = timedelta(seconds=second + 1)
        if stop():
            session.interrupted = True
            break


def run_session(
    ledger_path: str | Path,
    *,
    minutes: int = 30,
    seed: int = 7,
    progress: Callable[[int], None] = lambda _: None,
    stop: Callable[[], bool] = lambda: False,
) -> Session:
    """Trade ``minutes`` of simulated market into the ledger at ``ledger_path`` (a SQLite
    file or any URL :func:`~orderdesk.app.open_ledger` takes), in an account of its own.

    ``stop`` is polled once per simulated second; when it returns true the session ends
    there (``Session.interrupted``), every order it sent recorded with its outcome.
    """
    if minutes < 1:
        raise ValueError("a session lasts at least 1 minute")
    name = f"demo-{seed}-{datetime.now(UTC):%Y%m%d%H%M%S}"
    desk = demo_desk(ledger_path, minutes=minutes, seed=seed, account=name)
    session = Session(desk.account, desk.ledger, ledger_path, alarms=desk.broker.alarms)
    asyncio.run(
        _trade(session, desk, seconds=minutes * 60, seed=seed, progress=progress, stop=stop)
    )
    desk.deliver()
    return session
