"""Proof that ``orderdesk paper run --commit step`` killed anywhere keeps whole steps only.

The command replays a 300 s feed with a strategy that trades every second (about 600
orders: MARKET buys filled in their reply or partly and expired, BUY LIMITs filled at once,
partly, later by the venue's report, or cancelled), into a SQLite ledger. It is SIGKILLed at
seeded points in each commit mode: half of them by the test after a seeded wait, half by
the process itself just as a seeded SQL statement starts (inside a step, at its COMMIT, or
between steps), plus one aimed at the moment between an order's SENT and its reply.

After each kill the ledger is checked against an uninterrupted run of the same command:
``PRAGMA integrity_check`` is ok, the journal replays to exactly the stored orders and fills,
and its entries are the uninterrupted run's, in order, ids aside (:func:`journal_shape`).
Per step, that prefix ends exactly at the end of a step: every change of the steps before
it and nothing of the step in progress, so no order is left PENDING, sent or not. Per
change, it may end inside a step, and an order may be left PENDING with its reply lost.

Then the run is restarted: the same command again, on the same ledger and account. A paper
run's venue lives in its process, so nothing of the killed run is resumed; the restart
replays the feed from its start. It must trade exactly as the uninterrupted run did, entry
for entry, and leave the killed run's orders exactly as the kill left them. What
reconciliation would be left to settle is counted too: nothing per step; per change, the
orders left PENDING (in doubt if sent, never sent otherwise).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orderdesk.app import paper_desk
from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import OrderStatus
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.testing.assertions import EntryShape, assert_replay_matches, journal_shape

SEED = int(os.environ.get("ORDERDESK_PAPER_CRASH_SEED", "20261205"))
POINTS = int(os.environ.get("ORDERDESK_PAPER_CRASH_POINTS", "8"))  # per mode, besides 2 aimed
SECONDS = 300
T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)

STRATEGY = '''
def busy(step):
    """A MARKET buy and a BUY LIMIT at 99.00 every second; all but the five newest working
    orders cancelled."""
    step.submit("BTC_USDT", "BUY", "0.1")
    step.submit("BTC_USDT", "BUY", "0.1", price="99.00")
    for order in step.open_orders()[:-5]:
        step.cancel(order.order_id)
'''

# Runs ``orderdesk`` with the arguments after the first two; kills itself with SIGKILL as
# SQL statement number argv[1] starts (0: never) and writes the statements it ran to the
# file argv[2] (empty: none) when it exits.
_LAUNCH = """
import json, os, signal, sqlite3, sys
die_at, log = int(sys.argv[1]), sys.argv[2]
connect, executed = sqlite3.connect, []
def traced(*args, **kwargs):
    connection = connect(*args, **kwargs)
    def trace(sql):
        executed.append(sql[:100])
        if len(executed) == die_at:
            os.kill(os.getpid(), signal.SIGKILL)
    connection.set_trace_callback(trace)
    return connection
sqlite3.connect = traced
from orderdesk.cli import main
sys.argv = ["orderdesk", *sys.argv[3:]]
try:
    main()
finally:
    if log:
        with open(log, "w") as handle:
            json.dump(executed, handle)
"""


def _feed(path: Path) -> Path:
    """A quote a second: 100.00/100.02 for 20 s, then 98.00/98.02 for 20 s, and again; only
    0.25 offered, so the orders fill in parts too."""
    lines = ["time,symbol,bid_price,bid_quantity,ask_price,ask_quantity"]
    for s in range(SECONDS):
        bid, ask = ("100.00", "100.02") if s % 40 < 20 else ("98.00", "98.02")
        at = (T0 + timedelta(seconds=s)).isoformat().replace("+00:00", "Z")
        lines.append(f"{at},BTC_USDT,{bid},1,{ask},0.25")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


@dataclass(frozen=True)
class Reference:
    """An uninterrupted run: its summary, its journal's shape, where its steps end, the SQL
    statements it ran and how long it took."""

    summary: dict[str, object]
    shape: list[EntryShape]
    step_ends: frozenset[int]
    statements: list[str]
    wall: float


@dataclass
class Tally:
    """What the kills of one commit mode found."""

    kills: int = 0
    self_kills: int = 0
    at_commit: int = 0
    finished_first: int = 0
    mid_step: int = 0
    pending: Counter[str] = field(default_factory=Counter)
    """The submit states of the orders kills left PENDING."""
    lengths: set[int] = field(default_factory=set)


class Runs:
    """Launches the command in one directory, in one commit mode."""

    def __init__(self, root: Path, commit: str) -> None:
        self.root = root
        self.commit = commit
        _feed(root / "quotes.csv")
        (root / "mine.py").write_text(STRATEGY, encoding="utf-8")

    def args(self, db: Path) -> list[str]:
        return ["paper", "run", "--feed", "quotes.csv", "--strategy", "mine.py:busy",
                "--db", str(db), "--account", "bt", "--json", "--commit", self.commit]  # fmt: skip

    def start(self, db: Path, die_at: int = 0, log: Path | None = None) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", _LAUNCH, str(die_at), str(log or ""), *self.args(db)]
        return subprocess.Popen(
            command, cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def run(self, db: Path) -> dict[str, object]:
        process = self.start(db)
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        summary: dict[str, object] = json.loads(out)
        return summary

    def reference(self) -> Reference:
        db, log = self.root / f"reference-{self.commit}.db", self.root / f"sql-{self.commit}.json"
        started = time.monotonic()
        process = self.start(db, log=log)
        out, err = process.communicate(timeout=600)
        wall = time.monotonic() - started
        assert process.returncode == 0, err
        store = open_store(str(db))
        entries = store.journal(0, 1_000_000)
        ends = {0} | {n + 1 for n in range(len(entries) - 1) if entries[n].at != entries[n + 1].at}
        ends.add(len(entries))
        store.close()
        statements = json.loads(log.read_text(encoding="utf-8"))
        return Reference(json.loads(out), journal_shape(entries), frozenset(ends), statements, wall)


def _working(records: list[OrderRecord]) -> list[OrderRecord]:
    return [r for r in records if not r.order.status.is_terminal]


def _left_to_resolve(db: Path) -> dict[str, int]:
    """What reconciliation would list for the account (a dry run; nothing changes)."""
    clock = ManualClock(T0 + timedelta(seconds=SECONDS))
    ledger = Ledger(open_store(str(db)), clock)
    desk = paper_desk(ledger, account="bt", deposits=None, clock=clock)
    report = asyncio.run(desk.broker.reconcile(dry_run=True))
    ledger.store.close()
    return report.counts()


def _check(runs: Runs, db: Path, reference: Reference, tally: Tally) -> int:
    """Check a killed run's ledger, restart the run on it and check that too; return how
    many journal entries the kill left."""
    if db.exists():
        with closing(sqlite3.connect(db)) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = open_store(str(db))
    entries = store.journal(0, 1_000_000)
    shape = journal_shape(entries)
    n = len(shape)
    assert shape == reference.shape[:n], "the ledger holds changes the run never made"
    assert_replay_matches(store, {"bt"})
    records = list(Ledger(store, ManualClock(T0)).load_all("bt"))
    store.close()
    pending = [r for r in records if r.order.status is OrderStatus.PENDING]
    tally.lengths.add(n)
    tally.mid_step += n not in reference.step_ends
    tally.pending.update(r.submit_state.value for r in pending)
    if runs.commit == "step":
        assert n in reference.step_ends, f"{n} entries: a step cut short"
        assert pending == []
        assert {r.submit_state for r in records} <= {SubmitState.ACKED}
    else:
        assert {r.submit_state for r in pending} <= {SubmitState.NOT_SENT, SubmitState.SENT}
        assert len(pending) <= 1  # one order at a time is between its intent and its reply
    counts = _left_to_resolve(db)
    assert counts["in_doubt"] == sum(r.submit_state is SubmitState.SENT for r in pending)
    assert counts["never_sent"] == sum(r.submit_state is SubmitState.NOT_SENT for r in pending)
    assert counts["unknown_there"] == len(_working(records)) - len(pending)
    assert counts["missing_here"] == counts["behind"] == counts["contradicted"] == 0

    summary = runs.run(db)  # the restart: the same command again

    assert summary == reference.summary
    store = open_store(str(db))
    after = store.journal(0, 1_000_000)
    assert after[:n] == entries
    assert journal_shape(after[n:]) == reference.shape
    ledger = Ledger(store, ManualClock(T0))
    kept = {r.order_id: r for r in ledger.load_all("bt")}
    assert [kept[r.order_id] for r in records] == records  # the killed run's, as it left them
    assert len(kept) == len(records) + int(str(reference.summary["submitted"]))
    assert_replay_matches(store, {"bt"})
    store.close()
    return n


def _aimed(reference: Reference) -> int:
    """The COMMIT that makes the middle order's SENT durable: per change, its intent's own
    (the two commit together); per step, its step's, with the step's every other change."""
    statements = reference.statements
    sent = [i for i, sql in enumerate(statements) if "submit_state = 'SENT'" in sql]
    after = sent[len(sent) // 2]
    end = next(i for i in range(after, len(statements)) if statements[i] == "COMMIT")
    return end + 1  # statements are counted from 1


def _kill_and_check(
    runs: Runs, reference: Reference, point: int, rng: random.Random, tally: Tally
) -> None:
    db = runs.root / f"crash-{point}.db"
    self_kill = point % 2 == 1
    if self_kill:
        die_at = rng.randint(1, len(reference.statements))
        process = runs.start(db, die_at=die_at)
        process.communicate(timeout=600)
        assert process.returncode == -signal.SIGKILL
        tally.self_kills += 1
        tally.at_commit += reference.statements[die_at - 1] == "COMMIT"
    else:
        process = runs.start(db)
        time.sleep(rng.uniform(0, 0.8 * reference.wall))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=600)
        tally.finished_first += process.returncode == 0
    tally.kills += 1
    _check(runs, db, reference, tally)


@pytest.mark.slow
@pytest.mark.parametrize("commit", ["step", "change"])
def test_a_paper_run_killed_at_seeded_points_restarts_from_whole_steps(
    tmp_path: Path, commit: str, figure: Callable[[str], None]
) -> None:
    print(f"\npaper run crash seed: {SEED} (set ORDERDESK_PAPER_CRASH_SEED to replay)")
    runs = Runs(tmp_path, commit)
    reference = runs.reference()
    other = Runs(tmp_path, "change" if commit == "step" else "step").reference()
    assert other.shape == reference.shape  # either mode records the same changes
    assert reference.summary == {**other.summary, "commit": commit}
    rng = random.Random(f"{SEED}-{commit}")
    tally = Tally()
    for point in range(POINTS):
        _kill_and_check(runs, reference, point, rng, tally)

    lengths = []
    for offset, name in enumerate(("at-commit", "after-commit")):
        db = runs.root / f"{name}.db"
        process = runs.start(db, die_at=_aimed(reference) + offset)
        process.communicate(timeout=600)
        assert process.returncode == -signal.SIGKILL
        tally.kills += 1
        tally.at_commit += offset == 0
        before = Counter(tally.pending)
        lengths.append(_check(runs, db, reference, tally))
        if commit == "change":
            # The intent and its SENT commit together: killed at that COMMIT, nothing of the
            # order is kept (and nothing was sent); just after it, the order is SENT and its
            # reply never came.
            want = Counter() if offset == 0 else Counter({"SENT": 1})
            assert tally.pending - before == want
        else:
            assert tally.pending == before == Counter()
    if commit == "change":  # the commit kept right after is the intent's, SENT last
        kept = [kind for _, kind, *_ in reference.shape[lengths[0] : lengths[1]]]
        assert kept[-2:] == ["order_recorded", "submit_state"]
        assert kept[:-2] in ([], ["group_recorded"])
    else:  # the step lost at its COMMIT is the step kept right after it
        assert lengths[1] == min(end for end in reference.step_ends if end > lengths[0])

    line = (
        f"--commit {commit}: {tally.kills} SIGKILLs ({tally.self_kills} at a seeded SQL "
        f"statement, {tally.kills - tally.self_kills - 2} after a seeded wait "
        f"({tally.finished_first} of them after the run ended), 2 aimed at and just after "
        f"the COMMIT of an order's SENT; {tally.at_commit} at a COMMIT in all), "
        f"{len(tally.lengths)} distinct journal lengths of {len(reference.shape)}; integrity "
        f"ok, replay == ledger, journal == a prefix of the uninterrupted run's: "
        f"{tally.kills}/{tally.kills}; cut inside a step: {tally.mid_step}; orders left "
        f"PENDING: {dict(tally.pending)}; restarts equal to the uninterrupted run: "
        f"{tally.kills}/{tally.kills}"
    )
    print(line)
    figure(line)
    if commit == "step":
        assert tally.mid_step == 0
