"""Tables and charts the commands share: the blotter, recent fills, execution quality."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from orderdesk.ledger import Ledger
from orderdesk.model import decimal_text
from orderdesk.model.records import OrderRecord
from orderdesk.stats import Execution, executions
from orderdesk.stats import executions_report as report

__all__ = [
    "CHARTS_HINT",
    "blotter",
    "chart",
    "charts_installed",
    "quality",
    "recent_fills",
    "record_json",
]


def record_json(record: OrderRecord) -> dict[str, object]:
    """An order record as JSON-ready data: the order's fields and the ledger's facts."""
    return {
        **record.order.model_dump(mode="json"),
        "account": record.account,
        "submit_state": record.submit_state.value,
        "filled_quantity": decimal_text(record.filled_quantity),
        "client_order_id": record.client_order_id,
    }


def blotter(out: Console, ledger: Ledger, account: str, last: int = 10) -> None:
    """Print the orders by status and the last ``last`` of them."""
    records = list(ledger.load_all(account))
    counts = Counter(record.order.status.value for record in records)
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    out.print(f"\n[bold]Blotter[/]: {len(records)} orders ({summary}); the last {last}:")
    table = Table("order", "side", "type", "qty", "price", "stop", "status", "filled")
    for record in records[-last:]:
        order = record.order
        table.add_row(
            order.order_id, order.side.value, order.order_type.value,
            decimal_text(order.quantity),
            "" if order.price is None else decimal_text(order.price),
            "" if order.stop_price is None else decimal_text(order.stop_price),
            order.status.value, decimal_text(record.filled_quantity),
        )  # fmt: skip
    out.print(table)


def recent_fills(out: Console, ledger: Ledger, account: str, last: int = 8) -> None:
    """Print how many fills there are and the last ``last`` of them."""
    found = [
        fill
        for record in ledger.load_all(account)
        if record.fill_count
        for fill in ledger.fills(account, record.order_id)
    ]
    found.sort(key=lambda fill: fill.executed_at)
    table = Table("time", "order", "trade", "qty", "price", "fee", "liquidity")
    for fill in found[-last:]:
        table.add_row(
            f"{fill.executed_at:%H:%M:%S}", fill.order_id, fill.trade_id,
            decimal_text(fill.quantity), decimal_text(fill.price),
            f"{decimal_text(fill.fee)} {fill.fee_asset or ''}".strip(),
            "" if fill.liquidity is None else fill.liquidity.value,
        )  # fmt: skip
    out.print(f"\n[bold]Recent fills[/] ({len(found)} in all):")
    out.print(table)


def quality(out: Console, ledger: Ledger, account: str) -> None:
    """Print execution quality by order type."""
    result = report(executions(ledger, account), group_by=["order_type"])
    table = Table(
        "order type", "orders", "fill rate", "cancel rate", "slippage mean bps",
        "p50 bps", "p90 bps", "time to fill p50 s", "p90 s",
    )  # fmt: skip

    def show(value: Decimal | None, places: int) -> str:
        return "-" if value is None else f"{value:.{places}f}"

    def percent(value: Decimal | None) -> str:
        return "-" if value is None else f"{value * 100:.1f}%"

    for (kind,), figures in result.groups.items():
        table.add_row(
            kind, str(figures.orders), percent(figures.fill_rate),
            percent(figures.cancel_rate), show(figures.slippage_mean_bps, 3),
            show(figures.slippage_median_bps, 3), show(figures.slippage_p90_bps, 3),
            show(figures.fill_time_p50_s, 1), show(figures.fill_time_p90_s, 1),
        )  # fmt: skip
    out.print("\n[bold]Execution quality[/] (slippage against the mid at submit):")
    out.print(table)


CHARTS_HINT = "pip install 'orderdesk[charts]'"


def charts_installed() -> bool:
    """Whether the ``charts`` extra (matplotlib) is installed."""
    try:
        import matplotlib  # noqa: F401, PLC0415 - an optional extra
    except ImportError:
        return False
    return True


def chart(found: Iterable[Execution], path: Path) -> bool:
    """Draw the execution-quality PNG at ``path``; ``False`` (and a note) without matplotlib.

    A file that cannot be written raises ``OSError``.
    """
    if not charts_installed():
        Console(stderr=True).print(f"(no chart: {CHARTS_HINT} for the PNG)", markup=False)
        return False
    from orderdesk.stats.charts import plot_quality  # noqa: PLC0415 - needs matplotlib

    plot_quality(found, path)
    return True
