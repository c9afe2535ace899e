"""orderdesk paper run --commit: every change its own commit, or one commit per simulated step."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from orderdesk.app import DEFAULT_MARKETS, read_feed
from orderdesk.cli import app
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import Order, OrderStatus, generate_group_id
from orderdesk.model.records import SubmitState
from orderdesk.paper_run import CommitMode, Step, Strategy, read_orders, run_paper
from orderdesk.testing.assertions import assert_replay_matches, journal_shape
from tests.e2e.test_cli_paper_run import ORDERS, T0, _feed

_JOURNAL_INSERT = re.compile(r"INSERT INTO journal \(.*?\) VALUES \('([^']+)', '([a-z_]+)'")


def _ledger(db: Path | str) -> Ledger:
    return Ledger(open_store(str(db)), SystemClock())


def _run_cli(tmp_path: Path, db: Path, *extra: str) -> tuple[int, str]:
    feed, orders = _feed(tmp_path / "q.csv"), tmp_path / "o.csv"
    orders.write_text(ORDERS, encoding="utf-8")
    args = ["paper", "run", "--feed", str(feed), "--orders", str(orders), "--db", str(db),
            "--account", "bt", *extra]  # fmt: skip
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


def test_a_run_committed_per_step_records_what_one_committed_per_change_does(
    tmp_path: Path,
) -> None:
    summaries, shapes = {}, {}
    for mode in ("change", "step"):
        db = tmp_path / f"{mode}.db"
        code, output = _run_cli(tmp_path, db, "--commit", mode, "--json")
        assert code == 0, output
        summaries[mode] = json.loads(output)
        ledger = _ledger(db)
        shapes[mode] = journal_shape(ledger.store.journal(0, 10_000))
        assert assert_replay_matches(ledger.store, {"bt"}) == 4
    assert summaries["step"] == {**summaries["change"], "commit": "step"}
    assert summaries["change"]["commit"] == "change"
    assert (summaries["step"]["submitted"], summaries["step"]["cancels"]) == (4, 1)
    assert len(shapes["step"]) == 22
    assert shapes["step"] == shapes["change"]


def test_the_default_is_a_commit_per_change_and_the_tables_say_which_ran(tmp_path: Path) -> None:
    code, output = _run_cli(tmp_path, tmp_path / "default.db", "--json")
    assert code == 0, output
    assert json.loads(output)["commit"] == "change"
    code, output = _run_cli(tmp_path, tmp_path / "step.db", "--commit", "STEP")
    assert code == 0, output
    assert "account bt, committed per step" in output


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the run's SQLite connections execute, in order."""
    executed: list[str] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = connect(*args, **kwargs)
        connection.set_trace_callback(executed.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)
    return executed


def _commits(executed: list[str]) -> list[list[tuple[str, str]]]:
    """The (time, kind) of the journal entries each COMMIT made durable, for every COMMIT
    that wrote any."""
    found: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for sql in executed:
        match = _JOURNAL_INSERT.match(sql)
        if match:
            current.append((match.group(1)[11:19], match.group(2)))
        elif sql == "COMMIT":
            if current:
                found.append(current)
            current = []
    return found


def _paper(tmp_path: Path, commit: str, **options: object) -> Path:
    db = tmp_path / f"{commit}.db"
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    events = read_feed(_feed(tmp_path / "q.csv"), {m.symbol: m for m in DEFAULT_MARKETS})
    run = run_paper(
        events, str(db), orders=read_orders(tmp_path / "o.csv"), account="bt", commit=commit,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip
    assert run.commit is CommitMode(commit)
    return db


def test_a_step_is_one_commit_and_a_change_is_one_commit(
    tmp_path: Path, statements: list[str]
) -> None:
    _paper(tmp_path, "step")
    per_step = _commits(statements)
    statements.clear()
    _paper(tmp_path, "change")
    per_change = _commits(statements)

    # One commit per simulated time that wrote anything: the four orders sent (the fifth is
    # refused before anything is recorded), the cancel at 50 s (its request, its reply and
    # the venue's report of it), and the resting LIMIT's fill at 100 s, when the ask drops.
    assert [{at for at, _ in commit} for commit in per_step] == [
        {"15:00:05"}, {"15:00:10"}, {"15:00:20"}, {"15:00:40"}, {"15:00:50"}, {"15:01:40"},
    ]  # fmt: skip
    assert [kind for _, kind in per_step[0]] == [
        "group_recorded", "order_recorded", "submit_state", "acked", "filled",
    ]  # fmt: skip
    assert [kind for _, kind in per_step[4]] == ["cancel_requested", "cancelled", "cancelled"]
    # Per change: the intent (with its group and its SENT state) and the reply are two
    # commits an order.
    assert [[kind for _, kind in commit] for commit in per_change[:2]] == [
        ["group_recorded", "order_recorded", "submit_state"], ["acked", "filled"],
    ]  # fmt: skip
    assert len(per_change) == 12
    assert [entry for commit in per_change for entry in commit] == [
        entry for commit in per_step for entry in commit
    ]


def _interrupting(at: datetime) -> Strategy:
    """A strategy that sends a MARKET order itself every step and, at ``at``, is stopped at
    once (a second Ctrl-C) right after its order there is recorded and filled."""

    async def strategy(step: Step) -> None:
        order = Order(
            parent_group_id=generate_group_id(step.now), symbol="BTC_USDT", side="BUY",
            order_type="MARKET", quantity="0.1", created_at=step.now, updated_at=step.now,
        )  # fmt: skip
        await step.broker.submit(order)
        if step.now >= at:
            raise KeyboardInterrupt

    return strategy


@pytest.mark.parametrize(("commit", "kept"), [("change", 3), ("step", 2)])
def test_a_run_stopped_at_once_keeps_whole_steps_only_per_step(
    tmp_path: Path, commit: str, kept: int
) -> None:
    db = tmp_path / f"{commit}.db"
    events = read_feed(_feed(tmp_path / "q.csv"), {m.symbol: m for m in DEFAULT_MARKETS})
    with pytest.raises(KeyboardInterrupt):
        run_paper(
            events, str(db), strategy=_interrupting(T0 + timedelta(seconds=3)), account="bt",
            commit=commit,
        )  # fmt: skip
    ledger = _ledger(db)
    records = list(ledger.load_all("bt"))
    assert [r.order.created_at for r in records] == [
        T0 + timedelta(seconds=s) for s in range(1, kept + 1)
    ]
    assert {(r.order.status, r.submit_state) for r in records} == {
        (OrderStatus.FILLED, SubmitState.ACKED)
    }
    assert assert_replay_matches(ledger.store, {"bt"}) == kept
    assert {e.at for e in ledger.store.journal(0, 1000)} == {
        T0 + timedelta(seconds=s) for s in range(1, kept + 1)
    }


SEEN: list[int] = []


def _resting(step: Step) -> None:
    """Every 10 s a BUY LIMIT far below the market; note how many working orders it sees."""
    SEEN.append(len(step.open_orders()))
    if step.now.second % 10 == 0:
        step.submit("BTC_USDT", "BUY", "0.1", price="50.00")


@pytest.mark.parametrize("commit", ["change", "step"])
def test_a_strategy_sees_only_the_orders_its_own_run_sent(tmp_path: Path, commit: str) -> None:
    db = tmp_path / "p.db"
    events = read_feed(_feed(tmp_path / "q.csv", 60), {m.symbol: m for m in DEFAULT_MARKETS})
    seen = []
    for _ in range(2):  # the second run trades in the account the first one left orders in
        SEEN.clear()
        run_paper(events, str(db), strategy=_resting, account="bt", commit=commit)
        seen.append(list(SEEN))
    expected = [min(5, (s - 1) // 10) for s in range(1, 60)]  # after the sends at 10..50 s
    assert seen == [expected, expected]
    records = list(_ledger(db).load_all("bt"))
    assert [r.order.status for r in records] == [OrderStatus.OPEN] * 10


def test_a_commit_mode_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    events = read_feed(_feed(tmp_path / "q.csv", 5), {m.symbol: m for m in DEFAULT_MARKETS})
    with pytest.raises(ValueError, match="commit 'steps' is not one of change, step"):
        run_paper(events, str(tmp_path / "p.db"), commit="steps")
    assert not (tmp_path / "p.db").exists()


def test_a_memory_ledger_batches_too(tmp_path: Path) -> None:
    events = read_feed(_feed(tmp_path / "q.csv"), {m.symbol: m for m in DEFAULT_MARKETS})
    run = run_paper(events, "memory://", orders=read_orders(_orders(tmp_path)), commit="step")
    assert run.commit is CommitMode.STEP
    assert (len(run.submitted), run.cancels) == (4, 1)
    assert assert_replay_matches(run.ledger.store, {"paper"}) == 4


@pytest.mark.postgres
def test_on_postgresql_a_step_run_commits_per_change(
    tmp_path: Path, pg_schema: tuple[str, str]
) -> None:
    url, schema = pg_schema
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    db = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    events = read_feed(_feed(tmp_path / "q.csv"), {m.symbol: m for m in DEFAULT_MARKETS})
    run = run_paper(events, db, orders=read_orders(_orders(tmp_path)), account="bt", commit="step")
    assert run.commit is CommitMode.CHANGE  # PostgreSQL's store has no Batching port
    assert (len(run.submitted), run.cancels) == (4, 1)
    assert assert_replay_matches(run.ledger.store, {"bt"}) == 4


def _orders(tmp_path: Path) -> Path:
    path = tmp_path / "o.csv"
    path.write_text(ORDERS, encoding="utf-8")
    return path
