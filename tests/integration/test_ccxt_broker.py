"""The Broker on CcxtConnector: ccxt's own binance client against ``orderdesk venue serve``.

The venue runs in its own process on 127.0.0.1 (no internet); each scenario trades in an
account of its own, whose faults the venue's config sets. Every test runs with DEBUG logging
(the root logger and ccxt's) and ends by searching everything it produced (log records,
stdout and stderr, each ledger's SQLite dump with its journal) for the accounts' API keys
and secrets: 0 occurrences. ``test_the_leak_search_finds_what_is_planted`` shows the search
would find them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("ccxt")

from pydantic import SecretStr

from orderdesk import app
from orderdesk.broker import BrokerSettings, RetryPolicy
from orderdesk.clocks import SystemClock
from orderdesk.desk import AsyncBroker
from orderdesk.errors import Banned, PreTradeRejected, RateLimited
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores.sqlite import SqliteStore
from orderdesk.model import (
    ExecutionGroup,
    Order,
    OrderStatus,
    OrderType,
    Side,
    SubmitRequest,
    generate_group_id,
    generate_order_id,
)
from orderdesk.model.records import JournalKind, SubmitState
from orderdesk.ports import Connector
from orderdesk.testing.loopback import LoopbackLevers, market_json, served_venue
from orderdesk.venues.ccxt import CcxtConnector, Credentials
from orderdesk.venues.loopback import Secret, ccxt_urls

T = TypeVar("T")
ADMIN = "ccxt-broker-admin-5d1e"
ACCOUNTS = ("desk", "limited", "banned", "dropped", "restart", "readme")
KEYS = {name: (f"canary-key-{name}-7f3a9c", f"canary-secret-{name}-51d2e8") for name in ACCOUNTS}
CANARIES = tuple(value for pair in KEYS.values() for value in pair)
FAULTS: dict[str, dict[str, Any]] = {
    "limited": {"rate_limit": 2, "rate_window": 1000, "ban_after": 3},
    "banned": {"rate_limit": 1, "rate_window": 60000, "ban_after": 1, "ban_duration": 120000},
    "dropped": {"drop_reply": 1.0},
}
CONFIG: dict[str, Any] = {
    "seed": 11,
    "markets": [market_json()],
    "mids": {"BTC_USDT": "95000.00"},
    "feed_interval_ms": 0,
    "admin_token": ADMIN,
    "accounts": [
        {
            "name": name, "api_key": KEYS[name][0], "secret": KEYS[name][1],
            "deposits": {"BTC": "10", "USDT": "1000000"}, "faults": FAULTS.get(name, {}),
        }
        for name in ACCOUNTS
    ],
}  # fmt: skip
LOOPBACK = {
    "rateLimit": 5,  # ccxt's limiter stays on, at a loopback pace
    "timeout_on_exit": 0,
    "options": {
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
    },
}


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the loopback venue in its own process; yield its base URL."""
    with served_venue(CONFIG, tmp_path_factory.mktemp("venue"), quiet=True) as url:
        yield url


# --- the canary --------------------------------------------------------------------------


def leaks(text: str) -> dict[str, int]:
    """Count each API key and secret in ``text``."""
    return {canary: text.count(canary) for canary in CANARIES if canary in text}


def dump(path: Path) -> str:
    """The ledger's SQLite dump: every table, the journal among them."""
    db = sqlite3.connect(path)
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


@pytest.fixture
def ledgers(tmp_path: Path) -> list[Path]:
    """The ledger files a test made; searched for keys when it ends."""
    return []


@pytest.fixture(autouse=True)
def no_key_leaks(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], ledgers: list[Path]
) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ccxt")
    yield
    out, err = capfd.readouterr()
    logged = "\n".join(
        caplog.handler.format(record)
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
    )
    text = logged + out + err + "".join(dump(p) for p in ledgers if p.exists())
    assert leaks(text) == {}
    if ledgers:  # the search ran over something: ccxt logged every request's headers
        assert "'X-MBX-APIKEY': '**********'" in logged


def test_the_leak_search_finds_what_is_planted(
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    ledgers: list[Path],
    tmp_path: Path,
) -> None:
    key, secret = KEYS["desk"]
    logging.getLogger("ccxt.base.exchange").debug("planted %s", key)
    print(secret)
    path = tmp_path / "planted.db"
    ledger = Ledger(SqliteStore(path), SystemClock())
    ledger.record_group(
        ExecutionGroup(
            group_id=generate_group_id(datetime.now(UTC)), account="desk", strategy="planted",
            symbol="BTC_USDT", side=Side.BUY, reason=secret, created_at=datetime.now(UTC),
        )
    )  # fmt: skip
    ledger.store.close()
    out, err = capfd.readouterr()
    assert leaks(caplog.text) == {key: 1}
    assert leaks(out + err) == {secret: 1}
    assert leaks(dump(path)) == {secret: 2}  # the group's row and its journal entry
    caplog.clear()  # planted on purpose: the fixture's own search must not see them
    path.unlink()


# --- the desk ----------------------------------------------------------------------------


class Desk:
    """A broker on a SQLite ledger, its ccxt connectors, and the venue's levers."""

    def __init__(self, url: str, ledger_path: Path, account: str, **broker: Any) -> None:
        self.url = url
        self.account = account
        self.connectors: list[CcxtConnector] = []
        self.ledger = Ledger(SqliteStore(ledger_path), SystemClock())
        self.levers = LoopbackLevers(url, Secret(ADMIN))
        self.sleeps: list[float] = []
        self.broker = AsyncBroker(
            self.ledger,
            self.connect,
            clock=SystemClock(),
            sleep=self.sleep,
            visibility_window=timedelta(milliseconds=200),
            poll_interval=timedelta(milliseconds=20),
            policy=RetryPolicy(base=0.01, cap=0.05, max_total=10),
            **broker,
        )
        key, secret = KEYS[account]
        self.broker.settings(account=account, api_key=key, api_secret=secret)

    def connect(self, settings: BrokerSettings) -> Connector:
        assert settings.api_key is not None
        assert settings.api_secret is not None
        return self.connector(Credentials(settings.api_key, settings.api_secret))

    def connector(self, credentials: Credentials | None = None) -> CcxtConnector:
        """A connector of this desk's account."""
        if credentials is None:
            key, secret = KEYS[self.account]
            credentials = Credentials(SecretStr(key), SecretStr(secret))
        connector = CcxtConnector(
            "binance", credentials, api_urls=ccxt_urls(self.url), config=LOOPBACK, watch=False
        )
        self.connectors.append(connector)  # closed with the desk
        return connector

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        for connector in self.connectors:
            await connector.close()
        self.ledger.store.close()


def run(url: str, path: Path, account: str, case: Callable[[Desk], Awaitable[T]], **kw: Any) -> T:
    async def main() -> T:
        desk = Desk(url, path, account, **kw)
        try:
            return await case(desk)
        finally:
            await desk.close()

    return asyncio.run(main())


def order(kind: OrderType, quantity: str, price: str | None = None, side: Side = Side.BUY) -> Order:
    now = datetime.now(UTC)
    return Order(
        parent_group_id=generate_group_id(now), symbol="BTC_USDT", side=side, order_type=kind,
        quantity=quantity, price=price, created_at=now, updated_at=now,
    )  # fmt: skip


async def at_venue(connector: CcxtConnector, since: datetime) -> list[tuple[str, str, str]]:
    """Every order of the account at the venue: (client id, status, filled)."""
    held = await connector.open_orders(None) + await connector.closed_orders("BTC_USDT", since)
    return sorted((o.client_order_id, o.status.value, str(o.filled_quantity)) for o in held)


# --- the scenarios -----------------------------------------------------------------------


def test_an_order_is_placed_partly_filled_and_cancelled(
    venue: str, tmp_path: Path, ledgers: list[Path]
) -> None:
    ledgers.append(tmp_path / "ledger.db")

    async def case(desk: Desk) -> list[Any]:
        broker, started = desk.broker, datetime.now(UTC) - timedelta(seconds=1)
        await desk.levers.quote("BTC_USDT", Decimal("94000.00"), Decimal("96000.00"), Decimal(1))
        placed = await broker.submit(order(OrderType.LIMIT, "0.01", "95000.00"))
        await desk.levers.trade(
            "BTC_USDT", Decimal("95000.00"), Decimal("0.004")
        )  # at, not through
        partly = await broker.status(placed.order_id)
        cancelled = await broker.cancel(placed.order_id)
        fills = await broker.fills(placed.order_id)
        return [
            (placed.order.status, placed.submit_state, placed.client_order_id),
            (partly.order.status, partly.filled_quantity),
            (cancelled.order.status, cancelled.filled_quantity),
            [(f.quantity, f.price) for f in fills],
            await at_venue(desk.connector(), started),
        ]

    placed, partly, cancelled, fills, venue_orders = run(venue, ledgers[0], "desk", case)
    status, state, client_id = placed
    assert (status, state) == (OrderStatus.OPEN, SubmitState.ACKED)
    assert partly == (OrderStatus.PARTIALLY_FILLED, Decimal("0.004"))
    assert cancelled == (OrderStatus.CANCELLED, Decimal("0.004"))
    assert fills == [(Decimal("0.004"), Decimal("95000.00"))]
    assert venue_orders == [(client_id, "CANCELLED", "0.004")]


def test_filters_from_ccxt_stop_an_order_before_it_is_recorded_and_the_venue_rejects_one(
    venue: str, tmp_path: Path, ledgers: list[Path]
) -> None:
    ledgers.append(tmp_path / "ledger.db")

    async def case(desk: Desk) -> list[Any]:
        broker = desk.broker
        market = (await broker.markets())["BTC_USDT"]
        try:
            await broker.submit(order(OrderType.LIMIT, "0.00001", "95000.00"))  # 0.95 USDT
        except PreTradeRejected as rejected:
            refused = rejected.code
        recorded_after_refusal = len(await broker.load())
        # Beyond the balance: the venue says no (this broker does not check balances).
        too_big = await broker.submit(order(OrderType.LIMIT, "100", "95000.00"))
        # A market order has no price to check the notional by here: the venue's filter does.
        await desk.levers.quote("BTC_USDT", Decimal("94999.99"), Decimal("95000.01"), Decimal(1))
        tiny = await broker.submit(order(OrderType.MARKET, "0.00001"))
        codes = []
        for record in (too_big, tiny):
            trace = await broker.trace(record.order_id)
            codes += [
                e.payload.get("code") for e in trace.entries if e.kind is JournalKind.REJECTED
            ]
        return [
            (market.tick_size, market.step_size, market.min_notional),
            refused,
            recorded_after_refusal,
            (too_big.order.status, too_big.submit_state),
            (tiny.order.status, tiny.submit_state),
            codes,
        ]

    assert run(venue, ledgers[0], "desk", case, check_balance=False) == [
        (Decimal("0.01"), Decimal("0.00001"), Decimal("5")),
        "BELOW_MIN_NOTIONAL",
        0,
        (OrderStatus.REJECTED, SubmitState.SENT),  # answered: never in doubt, never resent
        (OrderStatus.REJECTED, SubmitState.SENT),
        ["INSUFFICIENT_BALANCE", "BELOW_MIN_NOTIONAL"],  # the venue's "Filter failure"
    ]


def test_a_429_is_retried_after_the_venues_retry_after_and_places_one_order(
    venue: str, tmp_path: Path, ledgers: list[Path]
) -> None:
    ledgers.append(tmp_path / "ledger.db")

    async def case(desk: Desk) -> list[Any]:
        started = datetime.now(UTC) - timedelta(seconds=1)
        broker = desk.broker
        await broker.markets()  # public: not counted by the venue's limit of 2 a second
        orders = [order(OrderType.LIMIT, "0.01", "90000.00") for _ in range(3)]
        placed = await asyncio.gather(*(broker.submit(o) for o in orders))  # in one window
        retrier = broker.retrier("binance")
        # The venue's clock runs in its own process: let its window pass before we look.
        await asyncio.sleep(1)
        return [
            [p.order.status for p in placed],
            [floor for _, _, floor in retrier.delays],
            retrier.requests,
            len(await at_venue(desk.connector(), started)),
        ]

    statuses, floors, requests, held = run(venue, ledgers[0], "limited", case, check_balance=False)
    assert statuses == [OrderStatus.OPEN] * 3
    assert floors == [1.0]  # one 429 (the third), waited out for its Retry-After of 1 s
    assert requests == 5  # markets, three submits, one retry
    assert held == 3


def test_a_venue_that_keeps_being_called_after_a_429_answers_418_banned(
    venue: str, tmp_path: Path
) -> None:
    async def case() -> list[Any]:
        key, secret = KEYS["banned"]
        connector = CcxtConnector(
            "binance", Credentials(SecretStr(key), SecretStr(secret)),
            api_urls=ccxt_urls(venue), config=LOOPBACK, watch=False,
        )  # fmt: skip
        out: list[object] = []
        async with connector:
            for _ in range(3):
                try:
                    out.append(sorted(await connector.balances())[:2])
                except (RateLimited, Banned) as error:
                    out.append((type(error).__name__, error.retry_after))
        return out

    assert asyncio.run(case()) == [["BTC", "USDT"], ("RateLimited", 60.0), ("Banned", 120.0)]


def test_a_reply_dropped_after_the_venue_accepted_resolves_to_exactly_one_order(
    venue: str, tmp_path: Path, ledgers: list[Path]
) -> None:
    ledgers.append(tmp_path / "ledger.db")

    async def case(desk: Desk) -> list[Any]:
        started = datetime.now(UTC) - timedelta(seconds=1)
        broker = desk.broker
        await desk.levers.quote("BTC_USDT", Decimal("94999.99"), Decimal("95000.01"), Decimal(1))
        resting = await broker.submit(order(OrderType.LIMIT, "0.01", "90000.00"))
        bought = await broker.submit(order(OrderType.MARKET, "0.01"))
        venue_fills = await desk.connector().fills_since("BTC_USDT", started)
        return [
            (resting.order.status, resting.submit_state),
            (bought.order.status, bought.submit_state, bought.filled_quantity),
            len(broker.resolutions),
            await at_venue(desk.connector(), started),
            [f.trade_id for f in await broker.fills(bought.order_id)],
            [f.trade_id for f in venue_fills if f.client_order_id == bought.client_order_id],
            (resting.client_order_id, bought.client_order_id),
        ]

    resting, bought, resolved, held, ledger_fills, venue_fills, ids = run(
        venue, ledgers[0], "dropped", case, check_balance=False
    )
    assert resting == (OrderStatus.OPEN, SubmitState.ACKED)
    assert bought == (OrderStatus.FILLED, SubmitState.ACKED, Decimal("0.01"))
    assert resolved == 2  # both replies were lost; both found by client id
    assert held == sorted([(ids[0], "OPEN", "0"), (ids[1], "FILLED", "0.01")])
    assert ledger_fills == venue_fills
    assert len(ledger_fills) >= 1


def test_a_restarted_broker_reconciles_its_open_orders_with_the_venue(
    venue: str, tmp_path: Path, ledgers: list[Path]
) -> None:
    path = tmp_path / "ledger.db"
    ledgers.append(path)

    async def before_the_crash(desk: Desk) -> list[str]:
        await desk.levers.quote("BTC_USDT", Decimal("80000.00"), Decimal("99000.00"), Decimal(1))
        first = await desk.broker.submit(order(OrderType.LIMIT, "0.01", "95000.00"))
        second = await desk.broker.submit(order(OrderType.LIMIT, "0.01", "90000.00"))
        return [first.order_id, second.order_id]

    first, second = run(venue, path, "restart", before_the_crash, check_balance=False)

    async def while_down() -> str:
        # The venue fills the first order, and an order this account placed elsewhere (a
        # crash after the venue took it, before the ledger heard) rests at the venue.
        levers = LoopbackLevers(venue, Secret(ADMIN))
        await levers.trade("BTC_USDT", Decimal("94999.99"), Decimal("0.01"))
        key, secret = KEYS["restart"]
        stray_id = generate_order_id(datetime.now(UTC))
        connector = CcxtConnector(
            "binance", Credentials(SecretStr(key), SecretStr(secret)),
            api_urls=ccxt_urls(venue), config=LOOPBACK, watch=False,
        )  # fmt: skip
        async with connector:
            request = SubmitRequest(
                connector.codec.encode(stray_id), "BTC_USDT", Side.SELL, OrderType.LIMIT,
                Decimal("0.01"), price=Decimal("98000.00"),
            )  # fmt: skip
            result = await connector.submit(request)
            assert result.status is OrderStatus.OPEN
        return stray_id

    stray = asyncio.run(while_down())

    async def after_the_restart(desk: Desk) -> list[Any]:
        broker = desk.broker
        dry = await broker.reconcile(dry_run=True)
        applied = await broker.reconcile()
        again = await broker.reconcile(dry_run=True)
        records = {r.order_id: r for r in broker.ledger.load_all("restart")}
        return [
            sorted((d.kind.value, d.order_id) for d in dry.differences),
            applied.counts(),
            again.counts(),
            {o: (r.order.status, r.filled_quantity) for o, r in sorted(records.items())},
        ]

    dry, applied, again, records = run(venue, path, "restart", after_the_restart)
    assert dry == sorted([("behind", first), ("missing_here", None)])
    assert applied == {
        "missing_here": 1, "behind": 1, "in_doubt": 0, "never_sent": 0, "unknown_there": 0,
        "contradicted": 0,
        "cancel_pending": 0,
    }  # fmt: skip
    assert again == dict.fromkeys(applied, 0)
    assert records == {
        first: (OrderStatus.FILLED, Decimal("0.01")),
        second: (OrderStatus.OPEN, Decimal(0)),
        stray: (OrderStatus.OPEN, Decimal(0)),  # adopted under the order id its client id names
    }


def test_the_readmes_real_exchange_example_runs_against_the_loopback_venue(
    venue: str,
    tmp_path: Path,
    ledgers: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Trading on a real exchange", 1)[1]
    example = re.findall(r"```py\n(.*?)```", section, flags=re.DOTALL)[0]
    key, secret = KEYS["readme"]  # an account of its own: what the venue holds is known

    async def place_one_elsewhere() -> str:
        # One order this account placed outside the new ledger: the venue's, not the ledger's.
        connector = CcxtConnector(
            "binance", Credentials(SecretStr(key), SecretStr(secret)),
            api_urls=ccxt_urls(venue), config=LOOPBACK, watch=False,
        )  # fmt: skip
        async with connector:
            client_order_id = connector.codec.encode(generate_order_id(datetime.now(UTC)))
            request = SubmitRequest(
                client_order_id, "BTC_USDT", Side.SELL, OrderType.LIMIT, Decimal("0.01"),
                price=Decimal("990000.00"),  # far above any bid: it rests
            )  # fmt: skip
            assert (await connector.submit(request)).status is OrderStatus.OPEN
        return client_order_id

    elsewhere = asyncio.run(place_one_elsewhere())
    environ = {"ORDERDESK_BINANCE_API_KEY": key, "ORDERDESK_BINANCE_SECRET": secret}
    original = app.ccxt_connector

    def loopback(exchange_id: str, **options: Any) -> CcxtConnector:
        # The example as written, with the testnet swapped for the loopback venue.
        assert (exchange_id, options) == ("binance", {})
        return original(
            exchange_id, sandbox=False, environ=environ, api_urls=ccxt_urls(venue), config=LOOPBACK
        )

    monkeypatch.setattr(app, "ccxt_connector", loopback)
    monkeypatch.chdir(tmp_path)
    ledgers.append(tmp_path / "orderdesk.db")
    exec(compile(example, "README.md", "exec"), {})
    out, err = capfd.readouterr()
    assert leaks(out + err) == {}  # read here, so searched here
    report = json.loads(out)
    assert (report["account"], report["venue"], report["dry_run"]) == (
        "binance-testnet", "binance", True
    )  # fmt: skip
    assert report["counts"] == {
        "missing_here": 1, "behind": 0, "in_doubt": 0, "never_sent": 0, "unknown_there": 0,
        "contradicted": 0,
        "cancel_pending": 0,
    }  # fmt: skip
    [found] = report["differences"]
    assert (found["kind"], found["client_order_id"], found["venue_status"]) == (
        "missing_here", elsewhere, "OPEN"
    )  # fmt: skip
