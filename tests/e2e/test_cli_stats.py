"""``orderdesk stats --window``: the report names the window it covers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orderdesk.cli import app, read
from orderdesk.clocks import ManualClock, SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.testing.ledger_kit import T0, recorded_order


def _ledger(tmp_path: Path, *at: datetime) -> str:
    """A SQLite ledger holding one order of ``acct-1`` created at each of ``at``."""
    path = tmp_path / "stats.db"
    store = open_store(str(path))
    for created in at:
        clock = ManualClock(created)
        recorded_order(Ledger(store, clock), at=created)
    store.close()
    return str(path)


def _stats(db: str, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["stats", "--db", db, "--account", "acct-1", *args])
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.output)
    return found


def test_a_window_prints_its_start_and_end_in_utc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
    monkeypatch.setattr(read, "SystemClock", lambda: ManualClock(now))
    db = _ledger(
        tmp_path, now - timedelta(days=8), now - timedelta(days=6), now - timedelta(hours=1)
    )

    week = _stats(db, "--window", "7d", "--by", "symbol", "--json")
    hour = _stats(db, "--window", "90m", "--by", "symbol", "--json")

    assert (week["start"], week["end"]) == (
        "2026-01-05T09:30:00+00:00",
        "2026-01-12T09:30:00+00:00",
    )
    assert [group["orders"] for group in week["groups"]] == [2]
    assert (hour["start"], hour["end"]) == (
        "2026-01-12T08:00:00+00:00",
        "2026-01-12T09:30:00+00:00",
    )
    assert [group["orders"] for group in hour["groups"]] == [1]


def test_the_window_ends_when_the_command_runs(tmp_path: Path) -> None:
    db = _ledger(tmp_path, T0)
    before = SystemClock().now()
    week = _stats(db, "--window", "7d", "--json")
    after = SystemClock().now()
    start, end = (datetime.fromisoformat(str(week[name])) for name in ("start", "end"))
    assert end - start == timedelta(days=7)
    assert before <= end <= after
    assert end.utcoffset() == timedelta(0)


def test_without_a_window_the_report_covers_everything(tmp_path: Path) -> None:
    everything = _stats(_ledger(tmp_path, T0), "--json")
    assert (everything["start"], everything["end"]) == (None, None)
    assert [group["orders"] for group in everything["groups"]] == [1]
