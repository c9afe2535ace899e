"""The README's walk-through, step by step, with the exact answers a newcomer gets."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from orderdesk.cli import EXIT_CODES, app
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import Market, OrderType, TimeInForce
from orderdesk.testing.loopback import LoopbackLevers, quiet_config
from orderdesk.venues.loopback import LoopbackConnector, Secret, serve

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET, ADMIN = "walk-key-51c2", "walk-secret-8e0d", "walk-admin"
SYMBOL = "BTC_USDT"
LATEST = "orderdesk: account {} (the ledger's latest; --account to choose)\n"


def invoke(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=dict(env or {}))


# -- orderdesk venue serve with the README's exports ----------------------------------------


def _serve(directory: Path, env: Mapping[str, str]) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_")}
    return subprocess.Popen(
        [sys.executable, "-m", "orderdesk", "venue", "serve", "--config",
         "examples/loopback-venue.json", "--state", "venue.db", "--port", "0"],
        cwd=directory, env=base | dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _first_line_then_stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    assert process.stdout is not None
    line = process.stdout.readline()
    process.terminate()
    _, errors = process.communicate(timeout=10)
    return line, errors


PAPER_KEYS = {"ORDERDESK_PAPER_API_KEY": "paper-key", "ORDERDESK_PAPER_SECRET": "paper-secret"}
FLAKY_NOTICE = (
    "orderdesk: account flaky cannot sign in: ORDERDESK_FLAKY_API_KEY and "
    "ORDERDESK_FLAKY_SECRET are not set (export them and restart to trade in it)\n"
)


def test_venue_serve_with_the_readme_exports_serves_and_names_the_account_without_keys(
    tmp_path: Path,
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    line, errors = _first_line_then_stop(_serve(tmp_path, PAPER_KEYS))
    assert line.startswith("orderdesk paper venue serving on http://127.0.0.1:")
    assert errors == FLAKY_NOTICE
    # The account without keys was opened all the same: set its keys later, same state file.
    flaky = {"ORDERDESK_FLAKY_API_KEY": "flaky-key", "ORDERDESK_FLAKY_SECRET": "flaky-secret"}
    line, errors = _first_line_then_stop(_serve(tmp_path, PAPER_KEYS | flaky))
    assert line.startswith("orderdesk paper venue serving on http://127.0.0.1:"), errors
    assert errors == ""


def test_venue_serve_with_no_keys_at_all_says_so_and_exits_2(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    process = _serve(tmp_path, {"ORDERDESK_PAPER_SECRET": "paper-secret"})
    out, errors = process.communicate(timeout=30)
    assert (process.returncode, out) == (2, "")
    assert errors == (
        "orderdesk: no account of examples/loopback-venue.json can sign in: "
        "ORDERDESK_PAPER_API_KEY, ORDERDESK_FLAKY_API_KEY, ORDERDESK_FLAKY_SECRET not set "
        "(export them and start again)\n"
    )
    assert not (tmp_path / "venue.db").exists()


# -- after the demo: the reading commands need no --account ---------------------------------


def test_after_the_demo_orders_stats_and_trace_read_its_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    demo = invoke("demo", "--minutes", "2")
    assert demo.exit_code == 0, demo.output
    account = demo.stdout.split("(account ")[1].split(")")[0]
    assert account.startswith("demo-7-")
    assert (
        "Next: orderdesk orders --status CLOSED, orderdesk stats and orderdesk trace ORD_... "
        "read this account, the ledger's latest." in " ".join(demo.stdout.split())
    )
    closed = invoke("orders", "--status", "CLOSED", "--json")
    assert closed.exit_code == 0, closed.output
    assert closed.stderr == LATEST.format(account)
    found = json.loads(closed.stdout)
    assert found
    assert {o["account"] for o in found} == {account}
    stats = invoke("stats", "--json")
    assert (stats.exit_code, stats.stderr) == (0, LATEST.format(account))
    assert sum(g["orders"] for g in json.loads(stats.stdout)["groups"]) > len(found) - 1
    trace = invoke("trace", found[0]["order_id"])
    assert (trace.exit_code, trace.stderr) == (0, LATEST.format(account))
    assert found[0]["order_id"] in trace.stdout
    fills = invoke("fills", found[0]["order_id"])
    assert (fills.exit_code, fills.stderr) == (0, LATEST.format(account))
    # An explicit account wins, without a notice; another's order is not found there.
    other = invoke("orders", "--account", "alice", "--json")
    assert (other.exit_code, other.stdout, other.stderr) == (0, "[]\n", "")
    named = invoke("trace", found[0]["order_id"], env={"ORDERDESK_ACCOUNT": "alice"})
    assert named.exit_code == 3
    assert named.stderr == f"orderdesk: order {found[0]['order_id']} not found in account alice\n"


def test_the_latest_run_is_the_default_and_an_empty_ledger_asks_for_an_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Ledger(open_store(str(tmp_path / "orderdesk.db")), SystemClock()).store.close()
    empty = invoke("orders")
    assert (empty.exit_code, empty.stdout) == (2, "")
    assert empty.stderr == (
        "orderdesk: no account given (pass --account, set ORDERDESK_ACCOUNT or account in "
        "orderdesk.toml)\n"
    )
    first = invoke("demo", "--minutes", "1", "--seed", "3")
    assert first.exit_code == 0, first.output
    rows = ["time,symbol,bid_price,bid_quantity,ask_price,ask_quantity"] + [
        f"2025-12-01T16:00:{s:02d}Z,BTC_USDT,94999.00,5,95001.00,5" for s in range(5)
    ]
    (tmp_path / "quotes.csv").write_text("\n".join(rows) + "\n")
    orders = ["time,symbol,side,order_type,quantity,price",
              "2025-12-01T16:00:01Z,BTC_USDT,BUY,LIMIT,0.01,90000.00"]  # fmt: skip
    (tmp_path / "orders.csv").write_text("\n".join(orders) + "\n")
    paper = invoke("paper", "run", "--feed", "quotes.csv", "--orders", "orders.csv",
                   "--account", "latest-run", "--json")  # fmt: skip
    assert paper.exit_code == 0, paper.output
    shown = invoke("orders", "--json")
    assert (shown.exit_code, shown.stderr) == (0, LATEST.format("latest-run"))
    assert [(o["account"], o["status"]) for o in json.loads(shown.stdout)] == [
        ("latest-run", "OPEN")
    ]


# -- submit against the loopback venue -------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    url: str
    db: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "ORDERDESK_DB": str(self.db), "ORDERDESK_ACCOUNT": "alice",
            "ORDERDESK_VENUE_URL": self.url, "ORDERDESK_API_KEY": KEY,
            "ORDERDESK_API_SECRET": SECRET, **extra,
        }  # fmt: skip

    def run(self, *args: str, **env: str) -> Result:
        return invoke(*args, env=self.env(**env))

    def connector(self) -> LoopbackConnector:
        return LoopbackConnector(self.url, Secret(KEY), Secret(SECRET))


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.chdir(tmp_path)  # no stray orderdesk.toml
    with serve(quiet_config(KEY, SECRET, ADMIN), tmp_path / "venue.db").start() as running:
        levers = LoopbackLevers(running.url, Secret(ADMIN))
        quote = levers.quote(SYMBOL, Decimal("94999.00"), Decimal("95001.00"), Decimal(5))
        asyncio.run(quote)
        yield Desk(running.url, tmp_path / "ledger.db")


def _help_examples(command: str) -> list[list[str]]:
    text = " ".join(invoke(command, "--help").stdout.split())
    examples = text.split("Examples: ", 1)[1]
    return [e.strip().split()[1:] for e in examples.split(";")]


def test_the_submit_help_examples_work_on_the_default_venue(desk: Desk) -> None:
    examples = _help_examples("submit")
    assert examples == [
        ["submit", "BTC_USDT", "BUY", "0.01", "--limit", "94000", "--account", "alice"],
        ["submit", "BTC_USDT", "SELL", "0.01", "--limit", "96000", "--stop", "95500", "--tif",
         "GTC"],
    ]  # fmt: skip
    placed = []
    for args in examples:
        done = desk.run(*args, "--json")
        assert (done.exit_code, done.stderr) == (0, ""), done.output
        placed.append(json.loads(done.stdout))
    assert [(o["order_type"], o["status"], o["outcome"]) for o in placed] == [
        ("LIMIT", "OPEN", "done"), ("STOP_LIMIT", "OPEN", "done")
    ]  # fmt: skip
    at_venue = asyncio.run(desk.connector().open_orders(SYMBOL))
    assert [(o.order_type, o.price, o.stop_price) for o in at_venue] == [
        (OrderType.LIMIT, Decimal("94000.00"), None),
        (OrderType.STOP_LIMIT, Decimal("96000.00"), Decimal("95500.00")),
    ]


def test_a_gtd_order_reaches_the_loopback_venue_with_its_expiry(desk: Desk) -> None:
    expiry = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    done = desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "94000", "--tif", "GTD",
                    "--expire-at", expiry.isoformat(), "--json")  # fmt: skip
    assert (done.exit_code, done.stderr) == (0, ""), done.output
    shown = json.loads(done.stdout)
    assert (shown["time_in_force"], shown["status"]) == ("GTD", "OPEN")
    (at_venue,) = asyncio.run(desk.connector().open_orders(SYMBOL))
    assert (at_venue.time_in_force, at_venue.expire_at) == (TimeInForce.GTD, expiry)


def test_a_venue_rejection_shows_its_code_and_reason_in_the_table_json_and_stderr(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LoopbackConnector.markets

    async def stale(self: LoopbackConnector) -> Mapping[str, Market]:
        # Filters loaded before the venue tightened them: the pre-trade checks pass.
        return {k: replace(m, min_notional=Decimal(0)) for k, m in (await real(self)).items()}

    monkeypatch.setattr(LoopbackConnector, "markets", stale)
    for extra in ((), ("--json",)):
        done = desk.run("submit", SYMBOL, "BUY", "0.00001", "--limit", "94000", *extra)
        assert done.exit_code == 6, done.output
        (order_id,) = set(re.findall(r"ORD_\d{8}_\d{6}_[0-9a-f]{8}", done.stdout))
        assert done.stderr == (
            f"orderdesk: the venue rejected {order_id}: BELOW_MIN_NOTIONAL: Filter failure: "
            "NOTIONAL (recorded as REJECTED)\n"
        )
        if extra:
            shown = json.loads(done.stdout)
            assert (shown["status"], shown["outcome"]) == ("REJECTED", "rejected")
            assert shown["rejection"] == {
                "code": "BELOW_MIN_NOTIONAL", "reason": "Filter failure: NOTIONAL"
            }  # fmt: skip
        else:
            lines = done.stdout.splitlines()
            (header,) = (line for line in lines if "┃" in line)
            assert header.split("┃")[-2].strip() == "reason"
            cells = [line.split("│")[-2].strip() for line in lines if "│" in line]  # may wrap
            assert " ".join(cells) == "BELOW_MIN_NOTIONAL: Filter failure: NOTIONAL"


def test_wait_that_runs_out_says_the_order_still_works_and_exits_7(desk: Desk) -> None:
    done = desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "90000", "--wait", "0.5")
    assert done.exit_code == 7, done.output
    (order_id,) = {word for word in done.stdout.split() if word.startswith("ORD_")}
    assert done.stderr == (
        f"orderdesk: {order_id} is still OPEN after --wait 0.5 s; it keeps working at the venue "
        f"(`orderdesk orders --status OPEN` follows it, `orderdesk cancel {order_id}` stops it)\n"
    )
    assert 7 in EXIT_CODES
    working = json.loads(desk.run("orders", "--status", "OPEN", "--json").stdout)
    assert [o["order_id"] for o in working] == [order_id]
    # Without --wait an order left working is the venue's answer: done, exit 0.
    rests = desk.run("submit", SYMBOL, "BUY", "0.01", "--limit", "90000")
    assert (rests.exit_code, rests.stderr) == (0, "")


# -- stats --plot -----------------------------------------------------------------------------


def test_stats_plot_says_where_it_wrote_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert invoke("demo", "--minutes", "1", "--chart", "demo.png").exit_code == 0
    table = invoke("stats", "--plot", "quality.png")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[-1] == f"Chart written to {tmp_path / 'quality.png'}"
    as_json = invoke("stats", "--plot", "again.png", "--json")
    assert as_json.exit_code == 0, as_json.output
    json.loads(as_json.stdout)
    assert as_json.stderr.splitlines()[-1] == (
        f"orderdesk: chart written to {tmp_path / 'again.png'}"
    )
    assert (tmp_path / "quality.png").stat().st_size > 0
    assert (tmp_path / "again.png").stat().st_size > 0
