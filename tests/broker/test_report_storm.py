"""100,000 fill reports delivered 1-3 times each, shuffled: every order's totals stay exact.

Reports arrive in any order, so fills come before their order's ack and after its cancel;
each is delivered once, twice or three times. Every order must end with exactly the
quantity, notional (hence VWAP) and fill count of its distinct trades, and the status the
venue's story implies.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from orderdesk.model import (
    ExecutionGroup,
    Liquidity,
    Order,
    OrderStatus,
    Side,
    generate_group_id,
)
from orderdesk.model.decimals import EXACT
from orderdesk.model.venue import ExecutionReport, ReportKind, VenueFill
from orderdesk.testing.paper_desk import START, PaperDesk

ORDERS = 5_000
FILLS_PER_ORDER = 20  # 100,000 fills in all


def test_a_storm_of_repeated_shuffled_fill_reports_double_counts_nothing(
    figure: Callable[[str], None],
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    print(f"seed {seed}")
    rng = random.Random(seed)
    desk = PaperDesk(seed=seed)
    ledger, account = desk.ledger, "acct-1"
    expected: dict[str, tuple[Decimal, Decimal, int, OrderStatus]] = {}
    reports: list[ExecutionReport] = []
    seq = 0

    def report(kind: ReportKind, client_id: str, at_s: int, fill: VenueFill | None = None) -> None:
        nonlocal seq
        seq += 1
        reports.append(
            ExecutionReport(
                seq=seq, kind=kind, at=START + timedelta(seconds=at_s),
                venue_order_id=f"v{client_id}", client_order_id=client_id, symbol="BTC_USDT",
                status=OrderStatus.OPEN,
                filled_quantity=Decimal(0), fill=fill,
            )
        )  # fmt: skip

    group = ExecutionGroup(
        group_id=generate_group_id(START), account=account, strategy="storm",
        symbol="BTC_USDT", side=Side.BUY, created_at=START,
    )  # fmt: skip
    ledger.record_group(group)
    for n in range(ORDERS):
        order = Order(
            parent_group_id=group.group_id, symbol="BTC_USDT", side=Side.BUY,
            order_type="LIMIT", quantity=Decimal("2.0"), price=Decimal("100.00"),
            created_at=START, updated_at=START,
        )  # fmt: skip
        client_id = f"c{n}"
        ledger.record_order(account, order, venue="paper", client_order_id=client_id)
        ends_filled = rng.random() < 0.5
        quantities = [Decimal(rng.randint(1, 9)) / 100 for _ in range(FILLS_PER_ORDER)]
        if ends_filled:
            quantities[-1] = EXACT.subtract(Decimal("2.0"), sum(quantities[:-1], Decimal(0)))
        filled = notional = Decimal(0)
        report(ReportKind.ACK, client_id, 1)
        for k, quantity in enumerate(quantities):
            price = Decimal(rng.randint(9_900, 10_000)) / 100
            fill = VenueFill(
                trade_id=f"t{n}-{k}", venue_order_id=f"v{client_id}", client_order_id=client_id,
                symbol="BTC_USDT", side=Side.BUY, quantity=quantity, price=price,
                fee=Decimal(0), fee_asset="USDT", liquidity=Liquidity.MAKER,
                executed_at=START + timedelta(seconds=2 + k),
            )  # fmt: skip
            report(ReportKind.FILL, client_id, 2 + k, fill)
            filled, notional = filled + quantity, notional + quantity * price
        if ends_filled:
            status = OrderStatus.FILLED
        else:
            report(ReportKind.CANCELLED, client_id, 10)  # fills keep arriving after it
            status = OrderStatus.CANCELLED
        expected[client_id] = (filled, notional, FILLS_PER_ORDER, status)

    deliveries = [r for r in reports for _ in range(rng.randint(1, 3))]
    rng.shuffle(deliveries)
    ours = desk.broker.on_reports(deliveries)

    wrong = 0
    for client_id, (filled, notional, count, status) in expected.items():
        record = ledger.get_by_client_order_id(account, "paper", client_id)
        got = (record.filled_quantity, record.notional, record.fill_count, record.order.status)
        wrong += got != (filled, notional, count, status)
    fill_reports = sum(1 for r in reports if r.kind is ReportKind.FILL)
    figure(
        f"seed {seed}: {fill_reports} fills in {len(deliveries)} deliveries to {ORDERS} orders: "
        f"{wrong} orders wrong, {len(desk.broker.alarms)} alarms"
    )
    assert ours == len(deliveries)
    assert fill_reports == 100_000
    assert wrong == 0
    assert desk.broker.alarms == []
