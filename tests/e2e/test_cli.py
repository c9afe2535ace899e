"""The orderdesk command end to end: the demo, in process and as a fresh subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from orderdesk.cli import EXIT_CODES, app
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_demo_trades_into_a_ledger_and_reports(tmp_path: Path) -> None:
    db, chart = tmp_path / "paper.db", tmp_path / "quality.png"
    result = CliRunner().invoke(
        app, ["demo", "--minutes", "3", "--db", str(db), "--chart", str(chart), "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    for heading in ("Blotter", "Recent fills", "Execution quality", "Files: ledger"):
        assert heading in result.output
    account = result.output.split("(account ", 1)[1].split(")", 1)[0]
    ledger = Ledger(open_store(str(db)), SystemClock())
    records = list(ledger.load_all(account))
    assert len(records) > 5
    assert any(r.order.status.value == "FILLED" for r in records)
    assert {r.order.order_type.value for r in records} == {"MARKET", "LIMIT", "STOP_LIMIT"}
    assert chart.read_bytes()[:8] == PNG


def test_a_bad_option_is_one_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    result = CliRunner().invoke(app, ["demo", "--minutes", "0", "--db", str(db)])
    assert result.exit_code == 2
    assert "--minutes" in result.output
    assert not db.exists()


def test_the_readme_run_command_works_in_a_fresh_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orderdesk", "demo", "--minutes", "2"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "orderdesk.db").stat().st_size > 0
    assert (tmp_path / "orderdesk-quality.png").read_bytes()[:8] == PNG
    assert "Execution quality" in done.stdout


def test_venue_serve_passes_its_help_through() -> None:
    result = CliRunner().invoke(app, ["venue", "serve", "--help"])
    assert result.exit_code == 0
    assert "--config" in result.output
    assert "--state" in result.output


def _demo_ledger(tmp_path: Path) -> tuple[str, str]:
    db = str(tmp_path / "cli.db")
    result = CliRunner().invoke(app, ["demo", "--minutes", "3", "--db", db, "--chart",
                                      str(tmp_path / "q.png")])  # fmt: skip
    assert result.exit_code == 0, result.output
    return db, result.output.split("(account ", 1)[1].split(")", 1)[0]


def test_orders_fills_trace_and_stats_read_the_ledger(tmp_path: Path) -> None:
    db, account = _demo_ledger(tmp_path)
    run = CliRunner().invoke
    listed = run(app, ["orders", "--db", db, "--account", account, "--json"])
    assert listed.exit_code == 0, listed.output
    everything = json.loads(listed.output)
    working = json.loads(
        run(app, ["orders", "--db", db, "--account", account, "--status", "OPEN", "--json"]).output
    )
    assert {o["status"] for o in working} <= {"OPEN", "PARTIALLY_FILLED"}
    filled = next(o for o in everything if o["status"] == "FILLED")
    fills = json.loads(
        run(app, ["fills", filled["order_id"], "--db", db, "--account", account, "--json"]).output
    )
    assert sum(Decimal(f["quantity"]) for f in fills) == Decimal(filled["quantity"])
    chain = json.loads(
        run(app, ["trace", filled["order_id"], "--db", db, "--account", account, "--json"]).output
    )
    assert chain["order"]["order_id"] == filled["order_id"]
    assert [e["kind"] for e in chain["entries"]][:2] == ["order_recorded", "submit_state"]
    report = json.loads(
        run(app, ["stats", "--db", db, "--account", account, "--by", "side", "--json"]).output
    )
    assert sum(g["orders"] for g in report["groups"]) == len(everything)


def test_read_commands_fail_with_one_line_and_the_documented_code(tmp_path: Path) -> None:
    db, account = _demo_ledger(tmp_path)
    run = CliRunner().invoke
    some = json.loads(run(app, ["orders", "--db", db, "--account", account, "--json"]).output)[0]
    mine = ["--db", db, "--account", account]
    cases = [
        (["fills", "ORD_20251201_150000_00000000", *mine], 3, "not found"),
        (["trace", some["order_id"], "--db", db, "--account", "someone-else"], 3, "not found"),
        (["orders", *mine, "--status", "CANECELLED"], 2, "Did you mean 'CANCELLED'"),
        (["stats", *mine, "--window", "1w"], 2, "not a number and a unit"),
        (["orders", "--db", str(tmp_path / "none.db"), "--account", account], 4, "no ledger at"),
    ]
    for args, code, text in cases:
        result = run(app, args)
        assert result.exit_code == code, (args, result.output)
        assert text in result.output
        assert result.output.count("\n") == 1, result.output
    assert not (tmp_path / "none.db").exists()


def test_the_readme_lists_every_exit_code() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme
