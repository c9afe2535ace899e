"""Deterministic ledger workloads for the crash and concurrency proofs.

``scripted_operations`` yields the same sequence of ledger calls for the same seed in any
process (ids come from a seeded IdGenerator, time from a ManualClock), so a crashed run can
be compared with a reference run entry for entry.

Run as a module to hammer shared orders from one process (the concurrency proof)::

    python -m tests.integration.workload STORE_URL WORKER TRANSITIONS ORDER_ID...
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from orderdesk.clocks import ManualClock, SystemClock
from orderdesk.errors import AckConflict, InvalidTransition, OperationalError, Overfill
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model.events import Acked, Cancelled, Filled
from orderdesk.model.fill import Fill
from orderdesk.model.ids import IdGenerator
from orderdesk.model.order import Order
from orderdesk.model.plans import ExecutionGroup
from orderdesk.model.records import SubmitState

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACCOUNTS = ("acct-a", "acct-b")


@dataclass(frozen=True, slots=True)
class Operation:
    """One scripted ledger call: ``method`` of the Ledger with ``args``."""

    method: str
    args: tuple[Any, ...]


def scripted_operations(seed: int, clock: ManualClock) -> Iterator[Operation]:
    """Yield an endless, seeded mix of ledger calls: records, submits, acks, fills, cancels."""
    rng = random.Random(seed)
    ids = IdGenerator(seed)
    orders: list[tuple[str, Order]] = []
    trades = 0
    while True:
        clock.advance(timedelta(milliseconds=rng.randint(1, 500)))
        now = clock.now()
        if not orders or rng.random() < 0.25:
            account = rng.choice(ACCOUNTS)
            group = ExecutionGroup(
                group_id=ids.make("EXG", now),
                account=account,
                strategy="crash",
                symbol="BTC_USDT",
                side="BUY",
                created_at=now,
            )
            order = Order.model_validate(
                {
                    "order_id": ids.make("ORD", now),
                    "parent_group_id": group.group_id,
                    "symbol": "BTC_USDT",
                    "side": "BUY",
                    "order_type": "LIMIT",
                    "quantity": "1.000",
                    "price": f"{rng.randint(90_000, 99_999)}.50",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            orders.append((account, order))
            yield Operation("record_group", (group,))
            yield Operation("record_order", (account, order, f"c-{order.order_id}"))
            continue
        account, order = rng.choice(orders)
        oid = order.order_id
        step = rng.choice(["ack", "fill", "fill", "fill", "sent", "cancel", "cancel_ack"])
        if step == "ack":
            yield Operation("apply", (account, oid, Acked(now, f"V-{oid[-8:]}")))
        elif step == "sent":
            yield Operation("set_submit_state", (account, oid, SubmitState.SENT))
        elif step == "cancel":
            yield Operation("request_cancel", (account, oid))
        elif step == "cancel_ack":
            yield Operation("apply", (account, oid, Cancelled(now)))
        else:
            trades += 1
            fill = Fill(
                fill_id=ids.make("FIL", now),
                order_id=oid,
                trade_id=f"T{trades}",
                quantity=rng.choice([Decimal("0.125"), Decimal("0.250"), Decimal("0.5")]),
                price=order.price or Decimal(1),
                executed_at=now,
            )
            yield Operation("apply", (account, oid, Filled(fill)))


def run_operation(ledger: Ledger, operation: Operation) -> None:
    """Run one scripted call; the lifecycle refusing it is an expected outcome."""
    with contextlib.suppress(InvalidTransition, Overfill, AckConflict):
        if operation.method == "record_order":
            account, order, client_order_id = operation.args
            ledger.record_order(account, order, venue="paper", client_order_id=client_order_id)
        else:
            getattr(ledger, operation.method)(*operation.args)


def hammer(url: str, worker: int, transitions: int, order_ids: list[str]) -> dict[str, int]:
    """Apply ``transitions`` fills of 1 to random shared orders; return the counts."""
    store = open_store(url)
    ledger = Ledger(store, SystemClock(), max_attempts=1_000)
    rng = random.Random(worker)
    locked = 0
    for n in range(transitions):
        order_id = rng.choice(order_ids)
        fill = Fill(
            fill_id=f"FIL_20260105_090000_{worker:02x}{n:06x}",
            order_id=order_id,
            trade_id=f"w{worker}-{n}",
            quantity="1",
            price="100.00",
            executed_at=START,
        )
        try:
            ledger.apply("acct-a", order_id, Filled(fill))
        except OperationalError as error:  # counted, never expected
            if "locked" not in str(error):
                raise
            locked += 1
    store.close()
    return {"applied": transitions - locked, "locked": locked, "retries": ledger.retries}


if __name__ == "__main__":
    counts = hammer(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
    print(json.dumps(counts))
