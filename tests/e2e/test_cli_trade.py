"""submit, cancel and reconcile from the command line, against a served paper venue."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orderdesk.cli import app
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Journal, Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import Market
from orderdesk.testing.loopback import MARKET, LoopbackLevers, quiet_config
from orderdesk.venues.loopback import Secret, serve
from orderdesk.venues.paper import PaperConnector, PaperExchange

KEY, SECRET, ADMIN = "cli-key-7f3a", "cli-secret-9d2b", "cli-admin"
SYMBOL = "BTC_USDT"


@dataclass(frozen=True)
class Desk:
    url: str
    db: Path
    levers: LoopbackLevers

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "ORDERDESK_DB": str(self.db),
            "ORDERDESK_ACCOUNT": "alice",
            "ORDERDESK_VENUE_URL": self.url,
            "ORDERDESK_API_KEY": KEY,
            "ORDERDESK_API_SECRET": SECRET,
            **extra,
        }

    def run(self, *args: str, **env: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env(**env))

    def quote(self, bid: str, ask: str, quantity: str = "5") -> None:
        asyncio.run(self.levers.quote(SYMBOL, Decimal(bid), Decimal(ask), Decimal(quantity)))

    def ledger(self) -> Ledger:
        return Ledger(open_store(str(self.db)), SystemClock())


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.chdir(tmp_path)  # no stray orderdesk.toml
    with serve(quiet_config(KEY, SECRET, ADMIN), tmp_path / "venue.db").start() as running:
        found = Desk(
            running.url, tmp_path / "ledger.db", LoopbackLevers(running.url, Secret(ADMIN))
        )
        found.quote("94999.00", "95001.00")
        yield found


def test_a_market_order_fills_at_the_ask_with_its_arrival_price(desk: Desk) -> None:
    done = desk.run("submit", SYMBOL, "buy", "0.01", "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert (shown["status"], shown["order_type"], shown["filled_quantity"]) == (
        "FILLED", "MARKET", "0.01"
    )  # fmt: skip
    record = desk.ledger().get("alice", shown["order_id"])
    assert record.arrival_price == Decimal("95000.00")
    fills = json.loads(desk.run("fills", shown["order_id"], "--json").output)
    assert [(f["quantity"], f["price"]) for f in fills] == [("0.01", "95001.00")]


def test_a_limit_order_rests_and_cancels_and_a_second_cancel_changes_nothing(desk: Desk) -> None:
    placed = desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "94000", "--json")
    assert placed.exit_code == 0, placed.output
    order_id = json.loads(placed.output)["order_id"]
    assert json.loads(placed.output)["status"] == "OPEN"
    working = json.loads(desk.run("orders", "--status", "OPEN", "--json").output)
    assert [o["order_id"] for o in working] == [order_id]
    for _ in range(2):
        cancelled = desk.run("cancel", order_id, "--json")
        assert cancelled.exit_code == 0, cancelled.output
        assert json.loads(cancelled.output)["status"] == "CANCELLED"
    trace = json.loads(desk.run("trace", order_id, "--json").output)
    assert [e["kind"] for e in trace["entries"]] == [
        "order_recorded", "submit_state", "acked", "cancel_requested", "cancelled"
    ]  # fmt: skip


def test_an_order_the_filters_refuse_is_neither_recorded_nor_sent(desk: Desk) -> None:
    refused = desk.run("submit", SYMBOL, "BUY", "0.00001", "--limit", "94000")
    assert refused.exit_code == 2
    assert "refused before sending" in refused.output
    assert refused.output.count("\n") == 1
    assert desk.ledger().load_all("alice") is not None
    assert list(desk.ledger().load_all("alice")) == []


def test_bad_input_is_refused_before_anything_is_written(desk: Desk) -> None:
    shape = "is not a decimal string of the form '123' or '123.45'"
    cases = [
        (["submit", SYMBOL, "BUY", "0"], "QTY '0' must be greater than 0"),
        (["submit", SYMBOL, "BUY", "abc"], f"QTY 'abc' {shape}"),
        (["submit", SYMBOL, "BUY", "1e-2"], f"QTY '1e-2' {shape}"),
        (["submit", SYMBOL, "BUY", "0.01", "--limit", "94000.5e0"], f"--limit '94000.5e0' {shape}"),
        (["submit", SYMBOL, "BUY", "0.01", "--limit", "94_000"], f"--limit '94_000' {shape}"),
        (["submit", SYMBOL, "BUY", "0.01", "--limit", "NaN"], f"--limit 'NaN' {shape}"),
        (["submit", SYMBOL, "SELL", "-0.01"],
         "QTY '-0.01' is a negative number; it must be greater than 0 (SELL to sell"),
        (["submit", SYMBOL, "BUY", "-1", "--limit", "94000"], "QTY '-1' is a negative number"),
        (["submit", SYMBOL, "BUY", "0.01", "--limit", "-94000"],
         "--limit '-94000' must be greater than 0"),
        (["submit", SYMBOL, "BUY", "0.01", "--limit", "96000", "--stop", "-0"],
         "--stop '-0' must be greater than 0"),
        (["submit", SYMBOL, "BUY", "0.01", "--stop", "96000"], "--stop needs --limit"),
        (["submit", "btc-usdt", "BUY", "0.01"],
         "SYMBOL 'btc-usdt' is not a market symbol (BASE_QUOTE, e.g. BTC_USDT or BTC/USDT)"),
        (["submit", SYMBOL, "HOLD", "0.01"], "HOLD"),
    ]  # fmt: skip
    for args, text in cases:
        result = desk.run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert text in " ".join(result.output.split()), (args, result.output)
        assert "No such option" not in result.output
    assert not desk.db.exists()


def test_a_price_or_quantity_off_the_tick_is_refused_naming_before_and_after(desk: Desk) -> None:
    cases = [
        (["BUY", "0.01", "--limit", "94000.123"],
         "BTC_USDT would round --limit 94000.123 to 94000.12 (tick 0.01); pass --round"),
        (["SELL", "0.01", "--limit", "96000.001"],
         "BTC_USDT would round --limit 96000.001 to 96000.01 (tick 0.01); pass --round"),
        (["BUY", "0.000015"],
         "BTC_USDT would round QTY 0.000015 to 0.00001 (step 0.00001); pass --round"),
        (["SELL", "0.010005", "--limit", "96000.005", "--stop", "95500.001"],
         "would round QTY 0.010005 to 0.01000 (step 0.00001), --limit 96000.005 to 96000.01 "
         "(tick 0.01), --stop 95500.001 to 95500.01 (tick 0.01); pass --round"),
    ]  # fmt: skip
    for args, text in cases:
        refused = desk.run("submit", SYMBOL, *args)
        assert refused.exit_code == 2, (args, refused.output)
        assert refused.output.startswith("orderdesk: refused before sending: ")
        assert text in refused.output, (args, refused.output)
        assert refused.output.count("\n") == 1
    assert list(desk.ledger().load_all("alice")) == []


def test_round_sends_it_rounded_and_says_what_was_rounded(desk: Desk) -> None:
    placed = desk.run("submit", SYMBOL, "BUY", "0.010005", "--limit", "94000.129", "--round",
                      "--json")  # fmt: skip
    assert placed.exit_code == 0, placed.output
    assert placed.stderr == (
        "orderdesk: rounded QTY 0.010005 to 0.01000 (step 0.00001) for BTC_USDT\n"
        "orderdesk: rounded --limit 94000.129 to 94000.12 (tick 0.01) for BTC_USDT\n"
    )
    shown = json.loads(placed.stdout)
    assert (shown["quantity"], shown["price"], shown["status"]) == ("0.01000", "94000.12", "OPEN")
    [record] = desk.ledger().load_all("alice")
    assert (record.order.quantity, record.order.price) == (Decimal("0.01"), Decimal("94000.12"))
    exact = desk.run("submit", SYMBOL, "SELL", "0.01", "--limit", "96000.00", "--round")
    assert (exact.exit_code, exact.stderr) == (0, "")
    small = desk.run("submit", SYMBOL, "BUY", "0.000015", "--limit", "94000", "--round")
    assert small.exit_code == 2
    assert small.stderr == (
        "orderdesk: refused before sending: BELOW_MIN_NOTIONAL: notional 0.9400000 USDT is below "
        "the minimum 5 (nothing was recorded or sent)\n"
    )
    assert len(list(desk.ledger().load_all("alice"))) == 2


def test_a_ccxt_symbol_is_an_alias_wherever_a_symbol_is_typed(desk: Desk) -> None:
    placed = desk.run("submit", "BTC/USDT", "BUY", "0.01", "--limit", "94000", "--json")
    assert placed.exit_code == 0, placed.output
    assert json.loads(placed.stdout)["symbol"] == SYMBOL
    lower = desk.run("submit", "btc/usdt", "BUY", "0.01", "--limit", "94000", "--json")
    assert json.loads(lower.stdout)["symbol"] == SYMBOL
    for typed in ("BTC/USDT", "btc_usdt", SYMBOL):
        listed = json.loads(desk.run("orders", "--symbol", typed, "--json").stdout)
        assert [o["symbol"] for o in listed] == [SYMBOL, SYMBOL], typed
    assert json.loads(desk.run("orders", "--symbol", "ETH/USDT", "--json").stdout) == []


def test_an_unreachable_venue_is_exit_5_and_records_nothing(desk: Desk) -> None:
    down = desk.run("submit", SYMBOL, "BUY", "0.01", ORDERDESK_VENUE_URL="http://127.0.0.1:9")
    assert down.exit_code == 5, down.output
    assert down.output.startswith("orderdesk: venue loopback at http://127.0.0.1:9")
    assert down.output.count("\n") == 1
    assert list(desk.ledger().load_all("alice")) == []


def test_missing_or_wrong_keys_never_echo_a_secret(desk: Desk) -> None:
    missing = CliRunner().invoke(
        app, ["submit", SYMBOL, "BUY", "0.01"],
        env={**desk.env(), "ORDERDESK_API_SECRET": None},
    )  # fmt: skip
    assert missing.exit_code == 2
    assert "ORDERDESK_API_SECRET" in missing.output
    wrong = desk.run("submit", SYMBOL, "BUY", "0.01", ORDERDESK_API_SECRET="not-the-secret")
    assert wrong.exit_code == 5, wrong.output
    for result in (missing, wrong):
        assert KEY not in result.output
        assert "not-the-secret" not in result.output
        assert SECRET not in result.output


def test_cancel_of_an_unknown_or_anothers_order_is_not_found(desk: Desk) -> None:
    placed = json.loads(desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "94000",
                                 "--json").output)  # fmt: skip
    unknown = desk.run("cancel", "ORD_20251201_150000_00000000")
    other = desk.run("cancel", placed["order_id"], ORDERDESK_ACCOUNT="mallory")
    for result in (unknown, other):
        assert result.exit_code == 3, result.output
        assert "not found in account" in result.output
    assert desk.ledger().get("alice", placed["order_id"]).order.status.value == "OPEN"


def test_reconcile_reports_then_adopts_a_fill_that_happened_while_nobody_watched(
    desk: Desk,
) -> None:
    placed = json.loads(desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "94000",
                                 "--json").output)  # fmt: skip
    desk.quote("93990.00", "93995.00")  # the ask crosses the resting bid: it fills
    dry = desk.run("reconcile", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["dry_run"] is True
    assert [d["order_id"] for d in report["differences"]] == [placed["order_id"]]
    assert desk.ledger().get("alice", placed["order_id"]).order.status.value == "OPEN"
    applied = desk.run("reconcile")
    assert applied.exit_code == 0, applied.output
    assert "1 differences applied" in applied.output
    record = desk.ledger().get("alice", placed["order_id"])
    assert (record.order.status.value, record.filled_quantity) == ("FILLED", Decimal("0.01"))
    again = json.loads(desk.run("reconcile", "--json").output)
    assert again["differences"] == []


def test_an_order_the_venue_rejects_is_recorded_rejected_and_exits_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The venue tightened a filter after the broker loaded its markets: the venue says no."""
    clock = SystemClock()
    market = MARKET  # the served venue's BTC_USDT: a notional of at least 5 USDT
    exchange = PaperExchange([market], clock=clock)
    exchange.open_account("alice", {"USDT": Decimal(1000)})
    exchange.on_quote(
        SYMBOL, [(Decimal("94999.00"), Decimal(1))], [(Decimal("95001.00"), Decimal(1))]
    )

    class StaleFilters(PaperConnector):
        async def markets(self) -> Mapping[str, Market]:
            return {SYMBOL: replace(market, min_notional=Decimal(0))}

    def connector(venue: str, **_: object) -> PaperConnector:
        return StaleFilters(exchange, "alice")

    monkeypatch.setattr("orderdesk.app.live.live_connector", connector)
    db = tmp_path / "ledger.db"
    result = CliRunner().invoke(
        app,
        [
            "submit",
            SYMBOL,
            "BUY",
            "0.00001",
            "--limit",
            "94000",
            "--db",
            str(db),
            "--account",
            "alice",
            "--json",
        ],
    )
    assert result.exit_code == 6, result.output
    shown = json.loads(result.stdout)
    assert (shown["status"], shown["outcome"]) == ("REJECTED", "rejected")
    why = "filter failure: BELOW_MIN_NOTIONAL"
    assert shown["rejection"] == {"code": "BELOW_MIN_NOTIONAL", "reason": why}
    assert result.stderr == (
        f"orderdesk: the venue rejected {shown['order_id']}: BELOW_MIN_NOTIONAL: {why} "
        "(recorded as REJECTED)\n"
    )
    trace = Journal(Ledger(open_store(str(db)), clock).store).trace("alice", shown["order_id"])
    assert trace.entries[-1].payload["code"] == "BELOW_MIN_NOTIONAL"


def test_wait_follows_the_order_until_it_fills(desk: Desk) -> None:
    mover = threading.Timer(0.6, desk.quote, args=("93990.00", "93995.00"))
    mover.start()
    try:
        done = desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "94000", "--wait", "20",
                        "--json")  # fmt: skip
    finally:
        mover.join()
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert (shown["status"], shown["filled_quantity"]) == ("FILLED", "0.01")
    assert shown["outcome"] == "done"
    ran_out = desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "90000", "--wait", "1",
                       "--json")  # fmt: skip
    assert ran_out.exit_code == 7, ran_out.output
    resting = json.loads(ran_out.stdout)
    assert (resting["status"], resting["outcome"]) == ("OPEN", "still_working")


def test_the_command_trades_through_ccxt_binance_too(desk: Desk) -> None:
    pytest.importorskip("ccxt")
    ccxt_env = {"ORDERDESK_VENUE": "ccxt:binance", "ORDERDESK_SANDBOX": "false"}
    bought = desk.run("submit", SYMBOL, "BUY", "0.01", "--json", **ccxt_env)
    assert bought.exit_code == 0, bought.output
    shown = json.loads(bought.output)
    assert (shown["status"], shown["filled_quantity"]) == ("FILLED", "0.01")
    record = desk.ledger().get("alice", shown["order_id"])
    assert (record.venue, record.arrival_price) == ("binance", Decimal("95000.00"))
    resting = json.loads(desk.run("submit", SYMBOL, "SELL", "0.01", "--limit", "96000", "--json",
                                  **ccxt_env).output)  # fmt: skip
    cancelled = desk.run("cancel", resting["order_id"], "--json", **ccxt_env)
    assert json.loads(cancelled.output)["status"] == "CANCELLED"
    report = json.loads(desk.run("reconcile", "--dry-run", "--json", **ccxt_env).output)
    assert (report["venue"], report["differences"]) == ("binance", [])
    for result in (bought, cancelled):
        assert KEY not in result.output
        assert SECRET not in result.output


def test_an_unknown_venue_or_a_missing_extra_key_is_exit_2(desk: Desk) -> None:
    unknown = desk.run("submit", SYMBOL, "BUY", "0.01", ORDERDESK_VENUE="ftx")
    assert unknown.exit_code == 2
    assert "unknown venue 'ftx': use loopback or ccxt:<exchange>" in unknown.output
    elsewhere = desk.run("submit", SYMBOL, "BUY", "0.01", ORDERDESK_VENUE="ccxt:okx")
    assert elsewhere.exit_code == 2
    assert "ccxt:binance only" in elsewhere.output
    assert not desk.db.exists()
