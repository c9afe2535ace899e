"""The served venue's state: a PaperExchange, its synthetic feed and its command journal.

Time: the exchange runs on a manual clock that the server moves to the wall clock before
each request, applying on the way every feed event due (each at its own time). Commands
that change state are journaled first, then executed; a restart replays them at their
recorded times over the same seeded feed and arrives at the same state.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orderdesk.clocks import ManualClock
from orderdesk.model import (
    CancelResult,
    OrderType,
    SubmitRequest,
    SubmitResult,
    TimeInForce,
)
from orderdesk.venues.loopback.binance import (
    ORDER_TYPES,
    SIDES,
    TIME_IN_FORCE,
    ApiError,
    time_from_ms,
)
from orderdesk.venues.loopback.config import LoopbackConfig
from orderdesk.venues.loopback.journal import Journal
from orderdesk.venues.paper import (
    ClientIdScope,
    MarketEvent,
    PaperExchange,
    SyntheticFeed,
    apply_event,
)
from orderdesk.venues.paper.ids import session_id_base

__all__ = ["LoopbackState"]

Payload = dict[str, str | None]


class LoopbackState:
    """One venue behind one lock; every method is safe to call from handler threads."""

    def __init__(self, config: LoopbackConfig, db_path: str | Path) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.journal = Journal(db_path)
        fingerprint = config.fingerprint()
        known = self.journal.meta("fingerprint")
        if known is None:
            self.journal.set_meta("fingerprint", fingerprint)
            self.journal.set_meta("started", datetime.now(UTC).isoformat())
            # A new state file is a new venue session: its ids start above every earlier
            # session's, so a ledger that traded with those never meets them again.
            self.journal.set_meta("id_base", str(session_id_base()))
        elif known != fingerprint:
            raise ValueError("the state file was written for another configuration; use a new file")
        started = self.journal.meta("started")
        assert started is not None
        self.started = datetime.fromisoformat(started)
        self.clock = ManualClock(self.started)
        self.exchange = PaperExchange(
            config.markets,
            clock=self.clock,
            seed=config.seed,
            client_id_scope=ClientIdScope.OPEN,
            name="loopback",
            # A restart replays the same session: the same base gives the same ids. (A file
            # written before bases were kept numbered from 1.)
            id_base=int(self.journal.meta("id_base") or 0),
        )
        self.accounts_by_key = {}
        for account in config.accounts:
            self.exchange.open_account(
                account.name, account.deposits, tier=account.tier, faults=account.faults
            )
            if account.api_key is not None and account.secret is not None:
                self.accounts_by_key[account.api_key.reveal()] = account
        self._feed = self._events()
        self._pending: MarketEvent | None = None
        for at, kind, name, payload in self.journal.commands():
            self._catch_up(at)
            self._execute(kind, name, payload)

    def _events(self) -> Iterator[MarketEvent]:
        config = self.config
        if not config.feed_interval_ms:
            return iter(())  # no synthetic feed: the market moves only by the test levers
        interval = timedelta(milliseconds=config.feed_interval_ms)
        steps = 10**12  # endless in practice; generated lazily
        feeds = [
            SyntheticFeed(
                market,
                seed=config.seed * 1_000 + n,
                start=self.started,
                mid=config.mids[market.symbol],
                interval=interval,
                spread_ticks=config.spread_ticks,
                levels=config.levels,
                level_steps=config.level_steps,
            ).events(steps)
            for n, market in enumerate(config.markets)
        ]
        return heapq.merge(*feeds, key=lambda event: event.at)

    def _catch_up(self, at: datetime) -> None:
        clock, exchange = self.clock, self.exchange
        while True:
            event = self._pending if self._pending is not None else next(self._feed, None)
            if event is None:
                break
            if event.at > at:
                self._pending = event
                break
            self._pending = None
            if event.at > clock.now():
                clock.set(event.at)
            apply_event(exchange, event)
        if at > clock.now():
            clock.set(at)
        exchange.advance()

    def now(self) -> datetime:
        """Bring the venue up to the wall clock and return the venue time (call under lock)."""
        at = max(datetime.now(UTC), self.clock.now())
        self._catch_up(at)
        return at

    def command(
        self, kind: str, account: str, payload: Payload
    ) -> SubmitResult | CancelResult | None:
        """Journal, then execute, a state-changing command at the current time (under lock).

        Kinds: ``submit`` and ``cancel`` for an account; ``quote`` and ``trade`` (market data
        from the test levers, account ``""``).
        """
        if kind == "submit":
            submit_request(payload)  # refuse malformed parameters before they are journaled
        at = self.now()
        self.journal.append(at, kind, account, payload)
        return self._execute(kind, account, payload)

    def _execute(
        self, kind: str, account: str, payload: Payload
    ) -> SubmitResult | CancelResult | None:
        exchange = self.exchange
        if kind in ("quote", "trade"):
            symbol, quantity = payload["symbol"], payload["quantity"]
            assert symbol is not None
            assert quantity is not None
            if kind == "trade":
                price = payload["price"]
                assert price is not None
                exchange.on_trade(symbol, Decimal(price), Decimal(quantity))
                return None
            bid, ask = payload["bid"], payload["ask"]
            assert bid is not None
            assert ask is not None
            depth = Decimal(quantity)
            exchange.on_quote(symbol, [(Decimal(bid), depth)], [(Decimal(ask), depth)])
            return None
        if kind == "submit":
            return exchange.submit(account, submit_request(payload))
        if kind == "cancel":
            symbol = payload["symbol"]
            assert symbol is not None
            return exchange.cancel(
                account,
                symbol,
                client_order_id=payload["client_order_id"],
                venue_order_id=payload["venue_order_id"],
            )
        raise ValueError(f"unknown command {kind!r}")

    def close(self) -> None:
        """Close the state file."""
        self.journal.close()


def _decimal(payload: Payload, key: str, *, required: bool) -> Decimal | None:
    raw = payload.get(key)
    if raw is None:
        if required:
            raise ApiError(400, -1102, f"Mandatory parameter '{key}' was not sent.")
        return None
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise ApiError(400, -1100, f"Illegal characters found in parameter '{key}'.") from None
    if not value.is_finite() or value <= 0:
        raise ApiError(400, -1100, f"Illegal value in parameter '{key}'.")
    return value


def _good_till(raw: str | None, tif: TimeInForce) -> datetime | None:
    """A GTD order's ``goodTillDate`` (epoch milliseconds) as an aware datetime."""
    if tif is not TimeInForce.GTD:
        if raw is not None:
            raise ApiError(400, -1106, "Parameter 'goodTillDate' sent when not required.")
        return None
    if raw is None:
        raise ApiError(400, -1102, "Mandatory parameter 'goodTillDate' was not sent.")
    if not raw.isdigit():
        raise ApiError(400, -1100, "Illegal characters found in parameter 'goodTillDate'.")
    return time_from_ms(int(raw))


def submit_request(payload: Payload) -> SubmitRequest:
    """Build a request from the Binance parameters of ``POST /api/v3/order``."""
    kind = ORDER_TYPES.get(payload.get("type") or "")
    side = SIDES.get(payload.get("side") or "")
    if kind is None or side is None:
        raise ApiError(400, -1116, "Invalid orderType or side.")
    tif_text = payload.get("timeInForce") or "GTC"
    tif = TIME_IN_FORCE.get(tif_text)
    if tif is None:
        raise ApiError(400, -1115, "Invalid timeInForce.")
    quantity = _decimal(payload, "quantity", required=True)
    price = _decimal(payload, "price", required=kind is not OrderType.MARKET)
    stop = _decimal(payload, "stopPrice", required=kind is OrderType.STOP_LIMIT)
    assert quantity is not None
    expire_at = _good_till(payload.get("goodTillDate"), tif)
    cid = payload.get("newClientOrderId")
    if not cid:
        raise ApiError(400, -1102, "Mandatory parameter 'newClientOrderId' was not sent.")
    try:
        return SubmitRequest(
            client_order_id=cid,
            symbol=payload.get("symbol") or "",
            side=side,
            order_type=kind,
            quantity=quantity,
            price=None if kind is OrderType.MARKET else price,
            stop_price=stop if kind is OrderType.STOP_LIMIT else None,
            time_in_force=tif,
            expire_at=expire_at,
        )
    except ValueError as error:
        raise ApiError(400, -1106, str(error)) from None
