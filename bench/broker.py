"""Submit-to-fill lifecycles per second through the Broker, beside the Ledger alone.

Run: ``python -m bench.broker [--orders N]``. One run, same machine, same order stream:
MARKET orders alternating BUY and SELL, each submitted, acked and filled on an in-process
PaperExchange on a simulated clock. Rows: the AsyncBroker and the synchronous Broker on a
memory, SQLite NORMAL and SQLite FULL ledger, each beside the Ledger-only figure on the same
store (record + ack + fill written straight to the Ledger, no venue, no broker): the floor
that the broker's own work (pre-trade checks, retries, the venue call) sits on.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from bench.timing import machine_line
from orderdesk.broker import Broker
from orderdesk.clocks import ManualClock
from orderdesk.ledger import Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import (
    Acked,
    ExecutionGroup,
    Fill,
    Filled,
    Liquidity,
    Order,
    Side,
    generate_group_id,
)
from orderdesk.testing.paper_desk import START, PaperDesk


def _orders(desk: PaperDesk, count: int) -> list[Order]:
    return [desk.order("BUY" if i % 2 else "SELL", "0.01") for i in range(count)]


def broker_async(url: str, count: int) -> float:
    """Lifecycles per second through the AsyncBroker."""
    desk = PaperDesk(store_url=url, check_balance=False)
    orders = _orders(desk, count)

    async def go() -> None:
        for order in orders:
            await desk.broker.submit(order)

    start = time.perf_counter()
    asyncio.run(go())
    return count / (time.perf_counter() - start)


def broker_sync(url: str, count: int) -> float:
    """Lifecycles per second through the synchronous Broker (a blocking portal per call)."""
    desk = PaperDesk(store_url=url, check_balance=False)
    orders = _orders(desk, count)
    with Broker.around(desk.broker) as broker:
        start = time.perf_counter()
        for order in orders:
            broker.submit(order)
        return count / (time.perf_counter() - start)


def ledger_only(url: str, count: int) -> float:
    """Lifecycles per second written straight to the Ledger: record, ack, fill."""
    clock = ManualClock(START)
    ledger = Ledger(open_store(url), clock)
    group = ExecutionGroup(
        group_id=generate_group_id(START), account="acct-1", strategy="bench",
        symbol="BTC_USDT", side=Side.BUY, created_at=START,
    )  # fmt: skip
    ledger.record_group(group)
    orders = [
        Order(
            parent_group_id=group.group_id, symbol="BTC_USDT", side=Side.BUY, order_type="MARKET",
            quantity=Decimal("0.01"), created_at=START, updated_at=START,
        )
        for _ in range(count)
    ]  # fmt: skip
    start = time.perf_counter()
    for n, order in enumerate(orders):
        ledger.record_order("acct-1", order, venue="paper", client_order_id=order.order_id)
        ledger.apply("acct-1", order.order_id, Acked(at=START, connector_order_id=f"v{n}"))
        fill = Fill(
            order_id=order.order_id, trade_id=f"t{n}", quantity=order.quantity,
            price=Decimal("95000.01"), liquidity=Liquidity.TAKER, executed_at=START,
        )  # fmt: skip
        ledger.apply("acct-1", order.order_id, Filled(fill))
    return count / (time.perf_counter() - start)


def _stores(directory: Path) -> list[tuple[str, Callable[[str], str]]]:
    def sqlite(mode: str) -> Callable[[str], str]:
        return lambda tag: f"sqlite:///{directory / f'{tag}-{mode}.db'}?synchronous={mode}"

    return [("memory", lambda _: "memory://"), ("SQLite NORMAL", sqlite("NORMAL")),
            ("SQLite FULL", sqlite("FULL"))]  # fmt: skip


def run(count: int) -> list[tuple[str, float, float, float]]:
    """Return rows of (store, async broker/s, sync broker/s, ledger-only/s)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in _stores(Path(tmp)):
            rows.append(
                (
                    name,
                    broker_async(url("async"), count),
                    broker_sync(url("sync"), count),
                    ledger_only(url("ledger"), count),
                )
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.broker")
    parser.add_argument("--orders", type=int, default=5_000)
    args = parser.parse_args(argv)
    print(f"Broker submit-to-fill lifecycles, {args.orders:,} MARKET orders ({machine_line()})")
    print(f"  {'ledger store':<14} {'async/s':>9} {'sync/s':>9} {'ledger-only/s':>14} "
          f"{'async/ledger':>13} {'sync/async':>11}")  # fmt: skip
    for name, fast, sync, floor in run(args.orders):
        print(f"  {name:<14} {fast:>9,.0f} {sync:>9,.0f} {floor:>14,.0f} "
              f"{fast / floor:>13.2f} {sync / fast:>11.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
