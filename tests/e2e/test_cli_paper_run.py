"""orderdesk paper run: a trader's own feed with an orders CSV or a strategy, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orderdesk.cli import INTERRUPTED, app
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model.records import SubmitState
from orderdesk.testing.assertions import assert_replay_matches

T0 = datetime(2025, 12, 1, 15, 0, tzinfo=UTC)


def _at(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _feed(path: Path, seconds: int = 600) -> Path:
    """One quote a second: 100.00/100.02 for the first 100 s, then 98.00/98.02."""
    lines = ["time,symbol,bid_price,bid_quantity,ask_price,ask_quantity"]
    for s in range(seconds):
        bid, ask = ("100.00", "100.02") if s < 100 else ("98.00", "98.02")
        lines.append(f"{_at(s)},BTC_USDT,{bid},10,{ask},10")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


ORDERS = f"""time,symbol,side,order_type,quantity,price,cancel_at
{_at(5)},BTC_USDT,BUY,MARKET,0.1,,
{_at(10)},BTC_USDT,BUY,LIMIT,0.1,99.00,{_at(50)}
{_at(20)},BTC_USDT,BUY,LIMIT,0.1,99.00,
{_at(30)},BTC_USDT,BUY,LIMIT,0.00001,99.00,
{_at(40)},BTC_USDT,SELL,MARKET,0.05,,
"""


def _ledger(db: Path) -> Ledger:
    return Ledger(open_store(str(db)), SystemClock())


def test_an_orders_csv_is_replayed_at_its_times(tmp_path: Path) -> None:
    feed, orders, db = _feed(tmp_path / "q.csv"), tmp_path / "o.csv", tmp_path / "p.db"
    orders.write_text(ORDERS, encoding="utf-8")
    args = ["paper", "run", "--feed", str(feed), "--orders", str(orders), "--db", str(db),
            "--account", "bt", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["events"], summary["submitted"], summary["cancels"]) == (600, 4, 1)
    assert [r["at"] for r in summary["refused"]] == [_at(30).replace("Z", "+00:00")]
    assert "MIN_NOTIONAL" in summary["refused"][0]["reason"]
    ledger = _ledger(db)
    records = list(ledger.load_all("bt"))
    assert [(r.order.order_type.value, r.order.status.value) for r in records] == [
        ("MARKET", "FILLED"), ("LIMIT", "CANCELLED"), ("LIMIT", "FILLED"), ("MARKET", "FILLED"),
    ]  # fmt: skip
    prices = [[f.price for f in ledger.fills("bt", r.order_id)] for r in records]
    assert prices == [[Decimal("100.02")], [], [Decimal("99.00")], [Decimal("100.00")]]
    assert [r.order.created_at for r in records] == [T0 + timedelta(seconds=s)
                                                     for s in (5, 10, 20, 40)]  # fmt: skip
    assert [r.arrival_price for r in records] == [Decimal("100.01")] * 4
    assert_replay_matches(ledger.store, {"bt"})


def test_an_orders_csv_may_name_a_symbol_as_ccxt_does(tmp_path: Path) -> None:
    feed, orders, db = _feed(tmp_path / "q.csv"), tmp_path / "o.csv", tmp_path / "p.db"
    orders.write_text(ORDERS.replace("BTC_USDT", "BTC/USDT"), encoding="utf-8")
    args = ["paper", "run", "--feed", str(feed), "--orders", str(orders), "--db", str(db),
            "--account", "bt", "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["submitted"] == 4
    assert {r.order.symbol for r in _ledger(db).load_all("bt")} == {"BTC_USDT"}


STRATEGY = '''
def every_minute(step):
    """A MARKET buy at second 30 of every minute."""
    if step.now.second == 30:
        step.submit("BTC_USDT", "BUY", "0.1")


async def async_every_minute(step):
    if step.now.second == 30:
        mid = step.mid("BTC_USDT")
        step.submit("BTC_USDT", "BUY", "0.1", price=mid + 1)  # marketable
'''


@pytest.mark.parametrize(
    ("function", "kind"), [("every_minute", "MARKET"), ("async_every_minute", "LIMIT")]
)
def test_a_strategy_from_a_file_trades_every_step(tmp_path: Path, function: str, kind: str) -> None:
    feed, db = _feed(tmp_path / "q.csv"), tmp_path / "p.db"
    (tmp_path / "mine.py").write_text(STRATEGY, encoding="utf-8")
    args = ["paper", "run", "--feed", str(feed), "--strategy", f"{tmp_path / 'mine.py'}:{function}",
            "--db", str(db), "--account", "bt"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Blotter" in result.output
    records = list(_ledger(db).load_all("bt"))
    assert [r.order.created_at for r in records] == [
        T0 + timedelta(seconds=30 + 60 * n) for n in range(10)
    ]
    assert {(r.order.order_type.value, r.order.status.value) for r in records} == {(kind, "FILLED")}


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        ([], "give exactly one of --orders and --strategy"),
        (["--orders", "o.csv", "--strategy", "m:f"], "give exactly one of"),
        (["--strategy", "no_such_module_xyz:f"], "cannot import the strategy's module"),
        (["--strategy", "mine.py"], "is not module:function"),
        (["--orders", "bad.csv"], "orders CSV line 3: side 'HOLD' is not one of BUY, SELL"),
        (["--orders", "o.csv", "--deposit", "USDT"], "--deposit 'USDT' is not ASSET=AMOUNT"),
        (["--orders", "sol.csv"], "orders CSV line 2: SOL_USDT is not among the markets"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str], text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _feed(tmp_path / "q.csv", 5)
    (tmp_path / "o.csv").write_text(ORDERS, encoding="utf-8")
    bad = ORDERS.replace("SELL,MARKET", "HOLD,MARKET").splitlines()
    (tmp_path / "bad.csv").write_text("\n".join([bad[0], bad[1], bad[5]]), encoding="utf-8")
    (tmp_path / "sol.csv").write_text(
        ORDERS.splitlines()[0] + f"\n{_at(1)},SOL_USDT,BUY,MARKET,1,,\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        app, ["paper", "run", "--feed", "q.csv", "--db", "p.db", "--account", "bt", *extra]
    )
    assert result.exit_code == 2, result.output
    assert text in result.output
    assert result.output.count("\n") == 1, result.output
    assert not (tmp_path / "p.db").exists()


def test_ctrl_c_stops_at_a_step_and_leaves_every_order_settled(tmp_path: Path) -> None:
    feed, db = _feed(tmp_path / "q.csv", 3600), tmp_path / "p.db"
    (tmp_path / "mine.py").write_text(
        "def busy(step):\n"
        "    step.submit('BTC_USDT', 'BUY', '0.1')\n"
        "    step.submit('BTC_USDT', 'BUY', '0.1', price='90.00')\n"
        "    for order in step.open_orders()[:-5]:\n"
        "        step.cancel(order.order_id)\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "orderdesk", "paper", "run", "--feed", str(feed),
               "--strategy", "mine.py:busy", "--db", str(db), "--account", "bt",
               "--speed", "50"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until it has traded for a while
        time.sleep(0.5)
        if db.exists() and _count(db) >= 40:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == INTERRUPTED, (out, err)
    assert "Interrupted" in out
    ledger = _ledger(db)
    records = list(ledger.load_all("bt"))
    assert 40 <= len(records) < 7200
    assert {r.submit_state for r in records} == {SubmitState.ACKED}
    for record in records:
        filled = sum((f.quantity for f in ledger.fills("bt", record.order_id)), Decimal(0))
        assert filled == record.filled_quantity
    assert_replay_matches(ledger.store, {"bt"})
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as raw:
            return int(raw.execute("SELECT count(*) FROM orders").fetchone()[0])
    except sqlite3.Error:
        return 0
