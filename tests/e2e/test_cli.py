"""The orderdesk command end to end: the demo, in process and as a fresh subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from orderdesk.cli import app
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
