"""Shared set-up for the paper-exchange tests: one market, a clock, funded accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from orderdesk.clocks import ManualClock
from orderdesk.model import Market, OrderType, Side, SubmitRequest, TimeInForce
from orderdesk.venues.paper import (
    ClientIdScope,
    Faults,
    FeeRates,
    FeeSchedule,
    LatencyModel,
    PaperExchange,
)

D = Decimal
START = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)
BTC_USDT = Market(
    symbol="BTC_USDT",
    base_asset="BTC",
    quote_asset="USDT",
    tick_size=D("0.01"),
    step_size=D("0.001"),
    min_quantity=D("0.01"),
    min_notional=D("5"),
)
FEES = FeeSchedule(
    {
        "standard": FeeRates(maker=D("0.001"), taker=D("0.002")),
        "vip": FeeRates(maker=D("-0.0001"), taker=D("0.0005")),
    },
    default_tier="standard",
)
FUNDS = {"BTC": D("10"), "USDT": D("10000")}


def venue(
    *,
    seed: int = 7,
    accounts: tuple[str, ...] = ("alice", "bob"),
    faults: Faults | None = None,
    latency: LatencyModel | None = None,
    scope: ClientIdScope = ClientIdScope.OPEN,
    id_base: int | None = 0,
) -> tuple[PaperExchange, ManualClock]:
    """Return an exchange with BTC_USDT and funded accounts, on a manual clock at START;
    its ids count from 1 unless ``id_base`` says otherwise (``None``: a session's own)."""
    clock = ManualClock(START)
    exchange = PaperExchange(
        [BTC_USDT],
        clock=clock,
        seed=seed,
        fees=FEES,
        latency=latency,
        client_id_scope=scope,
        id_base=id_base,
    )
    for name in accounts:
        exchange.open_account(name, FUNDS, faults=faults)
    return exchange, clock


def levels(*pairs: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    """Return depth levels from (price, quantity) text pairs."""
    return [(D(p), D(q)) for p, q in pairs]


def order(
    cid: str,
    side: str,
    quantity: str,
    price: str | None = None,
    *,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    expire_at: datetime | None = None,
    symbol: str = "BTC_USDT",
) -> SubmitRequest:
    """Return a request: MARKET without a price, LIMIT with one, STOP_LIMIT with a stop."""
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    if stop is not None:
        kind = OrderType.STOP_LIMIT
    return SubmitRequest(
        client_order_id=cid,
        symbol=symbol,
        side=Side(side),
        order_type=kind,
        quantity=D(quantity),
        price=None if price is None else D(price),
        stop_price=None if stop is None else D(stop),
        time_in_force=tif,
        expire_at=expire_at,
    )
