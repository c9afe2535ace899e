"""The composition root builds a working paper desk."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

from orderdesk import Order, OrderStatus
from orderdesk.app import paper_broker, tune_gc


def test_a_paper_broker_trades_and_keeps_its_ledger_in_sqlite(tmp_path: Path) -> None:
    broker, venue = paper_broker(f"sqlite:///{tmp_path / 'desk.db'}", account="alice")
    venue.on_quote("BTC_USDT", [(D("94999.99"), D("5"))], [(D("95000.01"), D("5"))])
    now = datetime.now(UTC)
    with broker:
        record = broker.submit(
            Order(
                parent_group_id="EXG_20251201_145955_xyz789", symbol="BTC_USDT", side="BUY",
                order_type="MARKET", quantity="0.1", created_at=now, updated_at=now,
            )
        )  # fmt: skip
        assert (record.order.status, record.arrival_price) == (OrderStatus.FILLED, D("95000.00"))
        assert broker.load(status="CLOSED") == [broker.get(record.order_id).order]


def test_tune_gc_freezes_the_start_up_heap_and_raises_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_gc(young=50_000)
        assert gc.get_threshold() == (50_000, 50, 1_000)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
