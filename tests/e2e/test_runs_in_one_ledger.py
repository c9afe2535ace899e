"""Several runs into one ledger: each keeps every fill, and a refused fill is never silent."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orderdesk.cli import app
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model.records import JournalKind
from orderdesk.venues.paper import exchange as paper_exchange
from tests.e2e.test_cli_paper_run import ORDERS, _feed


def _ledger(db: Path) -> Ledger:
    return Ledger(open_store(str(db)), SystemClock())


def _counts(ledger: Ledger, account: str) -> tuple[Counter[str], int, int]:
    """The account's statuses, its MARKET orders not FILLED, and its fills."""
    records = list(ledger.load_all(account))
    statuses = Counter(r.order.status.value for r in records)
    unfilled_markets = sum(
        r.order.order_type.value == "MARKET" and r.order.status.value != "FILLED" for r in records
    )
    return statuses, unfilled_markets, sum(r.fill_count for r in records)


def test_two_demo_runs_into_one_ledger_keep_every_fill(
    tmp_path: Path, figure: Callable[[str], None]
) -> None:
    db = tmp_path / "orderdesk.db"
    args = ["demo", "--minutes", "10", "--seed", "7", "--db", str(db),
            "--chart", str(tmp_path / "q.png")]  # fmt: skip
    accounts = []
    for _ in range(2):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        accounts.append(result.output.split("(account ", 1)[1].split(")", 1)[0])
    assert accounts[0] != accounts[1]
    ledger = _ledger(db)
    first, second = (_counts(ledger, account) for account in accounts)
    figure(f"run 1 {dict(first[0])} with {first[2]} fills; run 2 {dict(second[0])} "
           f"with {second[2]} fills")  # fmt: skip
    assert first == second  # the same seed trades the same way, whatever the ledger holds
    assert first[1] == 0  # every MARKET order filled
    assert first[0]["FILLED"] > 50


def test_two_paper_runs_in_one_account_keep_every_fill(
    tmp_path: Path, figure: Callable[[str], None]
) -> None:
    feed, orders, db = _feed(tmp_path / "q.csv"), tmp_path / "o.csv", tmp_path / "p.db"
    orders.write_text(ORDERS, encoding="utf-8")
    args = ["paper", "run", "--feed", str(feed), "--orders", str(orders), "--db", str(db),
            "--account", "bt", "--json"]  # fmt: skip
    for _ in range(2):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    statuses, unfilled_markets, fills = _counts(_ledger(db), "bt")
    figure(f"two runs in one account: {dict(statuses)} with {fills} fills")
    assert (statuses, unfilled_markets, fills) == (Counter(FILLED=6, CANCELLED=2), 0, 6)


def test_a_fill_the_ledger_refuses_exits_8_naming_the_order_and_the_trade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A venue that numbers every session's trades from 1 (as the paper venue once did): the
    # second run's first trade id is the first run's, with other figures.
    monkeypatch.setattr(paper_exchange, "session_id_base", lambda: 0)
    feed, orders, db = _feed(tmp_path / "q.csv"), tmp_path / "o.csv", tmp_path / "p.db"
    orders.write_text(ORDERS.replace("BUY,MARKET,0.1", "BUY,MARKET,0.2"), encoding="utf-8")
    args = ["paper", "run", "--feed", str(feed), "--orders", str(orders), "--db", str(db),
            "--account", "bt", "--json"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    orders.write_text(ORDERS, encoding="utf-8")

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 8, result.output
    ledger = _ledger(db)
    alarmed = [
        r for r in ledger.load_all("bt")
        if JournalKind.ALARM in {e.kind for e in ledger.store.journal_of_order("bt", r.order_id)}
    ]  # fmt: skip
    assert len(alarmed) >= 1
    first = alarmed[0].order_id
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"orderdesk: integrity alarm: order {first}: trade '1' was ")
    assert lines[-1] == (
        f"orderdesk: {len(lines) - 1} venue report(s) refused as contradicting the ledger "
        f"(`orderdesk trace {first}` shows it)"
    )
