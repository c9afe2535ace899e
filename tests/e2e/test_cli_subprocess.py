"""A trader's session as real processes in a fresh directory: a served venue, the commands."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from orderdesk.testing.loopback import LoopbackLevers, market_json, served_venue
from orderdesk.venues.loopback import Secret

KEY, SECRET, ADMIN = "proc-key-41c2", "proc-secret-88ad", "proc-admin"
VENUE = {
    "seed": 1,
    "markets": [market_json()],
    "mids": {"BTC_USDT": "95000.00"},
    "feed_interval_ms": 0,
    "admin_token": ADMIN,
    "accounts": [{"name": "paper", "api_key": "env:VENUE_KEY", "secret": "env:VENUE_SECRET",
                  "deposits": {"BTC": "1", "USDT": "100000"}}],
}  # fmt: skip


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[str]:
    env = {**os.environ, "VENUE_KEY": KEY, "VENUE_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    with served_venue(VENUE, tmp_path, env) as url:
        assert url.startswith("http://127.0.0.1:"), url
        levers = LoopbackLevers(url, Secret(ADMIN))
        asyncio.run(levers.quote("BTC_USDT", Decimal("94999.00"), Decimal("95001.00"), Decimal(1)))
        yield url


def _orderdesk(cwd: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ORDERDESK_API_KEY": KEY, "ORDERDESK_API_SECRET": SECRET}
    env.pop("ORDERDESK_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "orderdesk", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_session_at_the_command_line(tmp_path: Path, venue: str) -> None:
    desk = tmp_path / "desk"
    desk.mkdir()
    (desk / "orderdesk.toml").write_text(f'account = "alice"\nvenue_url = "{venue}"\n')

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return _orderdesk(desk, venue, *args)

    bought = run("submit", "BTC_USDT", "BUY", "0.01", "--json")
    assert bought.returncode == 0, bought.stderr
    assert json.loads(bought.stdout)["status"] == "FILLED"
    resting = run("submit", "BTC_USDT", "SELL", "0.01", "--limit", "96000", "--json")
    order_id = json.loads(resting.stdout)["order_id"]
    listed = json.loads(run("orders", "--status", "OPEN", "--json").stdout)
    assert [o["order_id"] for o in listed] == [order_id]
    cancelled = run("cancel", order_id, "--json")
    assert json.loads(cancelled.stdout)["status"] == "CANCELLED"
    report = json.loads(run("reconcile", "--dry-run", "--json").stdout)
    assert (report["account"], report["differences"]) == ("alice", [])
    stats = json.loads(run("stats", "--by", "order_type", "--json").stdout)
    assert {g["key"]["order_type"]: g["orders"] for g in stats["groups"]} == {
        "LIMIT": 1, "MARKET": 1,
    }  # fmt: skip
    assert (desk / "orderdesk.db").exists()
    errors = [
        (run("cancel", "ORD_20251201_150000_00000000"), 3),
        (run("fills", order_id, "--account", "mallory"), 3),
        (run("submit", "BTC_USDT", "BUY", "-0.01x"), 2),
        (run("orders", "--status", "FILED"), 2),
        (run("orders", "--db", "postgresql://nobody@127.0.0.1:1/none"), 4),
    ]
    for done, code in errors:
        assert done.returncode == code, done.stderr
        assert done.stderr.startswith("orderdesk: "), done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
    for done in (bought, resting, cancelled):
        assert KEY not in done.stdout + done.stderr
        assert SECRET not in done.stdout + done.stderr
