"""Group ids belong to an account: two accounts may each use one ``parent_group_id``, on
every store, and neither learns of the other's group or orders through it."""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

import psycopg
import pytest

from orderdesk.broker import Broker
from orderdesk.clocks import SystemClock
from orderdesk.errors import NotFound
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import OrderStatus
from orderdesk.testing.paper_desk import PaperDesk

ROOT = Path(__file__).resolve().parents[2]
SHARED = "EXG_20251201_145955_shared01"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url, schema = request.getfixturevalue("pg_schema")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def test_bob_submits_in_a_group_id_alice_already_used(store_url: str) -> None:
    desk = PaperDesk(store_url=store_url, accounts=("alice", "bob"))
    placed = {}
    with Broker.around(desk.broker) as broker:
        for account in ("alice", "bob"):
            broker.settings(account=account)
            order = desk.order("BUY", "0.01", price="90000.00", parent_group_id=SHARED)
            record = broker.submit(order)
            assert (record.account, record.order.status) == (account, OrderStatus.OPEN)
            placed[account] = record.order_id
        assert placed["alice"] != placed["bob"]

        for account, other in (("alice", "bob"), ("bob", "alice")):
            broker.settings(account=account)
            assert [o.order_id for o in broker.load(group_id=SHARED)] == [placed[account]]
            assert [o.order_id for o in broker.load("OPEN")] == [placed[account]]
            trace = broker.trace(placed[account])
            assert trace.group is not None
            assert (trace.group.group_id, trace.group.account) == (SHARED, account)
            assert trace.group.order_ids == (placed[account],)
            with pytest.raises(NotFound):
                broker.get(placed[other])
            with pytest.raises(NotFound):
                broker.trace(placed[other])
            group = desk.ledger.store.get_group(account, SHARED)
            assert group is not None
            assert (group.account, group.order_ids) == (account, (placed[account],))
        # Both orders work at the venue, each in its own account there too.
        assert [len(desk.exchange.open_records(a)) for a in ("alice", "bob")] == [1, 1]


def _readme_broker_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    python: list[str] = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    (block,) = [found for found in python if "paper_broker()" in found]
    return block


def test_the_readme_broker_example_runs_twice_into_one_ledger_in_two_accounts(
    tmp_path: Path,
) -> None:
    block = _readme_broker_block()
    (group_id,) = re.findall(r'parent_group_id="(EXG_[^"]+)"', block)
    db = tmp_path / "orderdesk.db"
    order_ids = {}
    for account in ("alice", "bob"):
        code = block.replace("paper_broker()", f"paper_broker({str(db)!r}, account={account!r})")
        code = code.replace('{"account": "paper"}', f"{{'account': {account!r}}}")
        assert code.count(repr(account)) == 2  # both the broker and the settings changed
        scope: dict[str, object] = {}
        exec(compile(code, "README.md", "exec"), scope)
        trade = scope["trade"]
        order_ids[account] = trade.order_id  # type: ignore[attr-defined]
        assert [o.order_id for o in scope["closed_trades"]] == [order_ids[account]]  # type: ignore[attr-defined]

    ledger = Ledger(open_store(str(db)), SystemClock())
    for account in ("alice", "bob"):
        group = ledger.store.get_group(account, group_id)
        assert group is not None
        assert (group.account, group.order_ids) == (account, (order_ids[account],))
        record = ledger.get(account, order_ids[account])
        assert (record.order.status, record.order.quantity) == (OrderStatus.CANCELLED, D("0.1"))
