"""The ``orderdesk`` command."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orderdesk.demo import Session, run_session
from orderdesk.model import decimal_text
from orderdesk.stats import executions, report
from orderdesk.venues.loopback import main as serve_venue

__all__ = ["app", "main"]

app = typer.Typer(
    name="orderdesk",
    help="Order management for algorithmic traders.",
    no_args_is_help=False,
    add_completion=False,
)
venue_app = typer.Typer(help="The paper venue served over HTTP.")
app.add_typer(venue_app, name="venue")


@app.callback(invoke_without_command=True)
def _default(context: typer.Context) -> None:
    if context.invoked_subcommand is None:
        context.invoke(demo)


@app.command(
    epilog="Example: orderdesk demo --minutes 10 --db /tmp/paper.db --chart /tmp/quality.png"
)
def demo(
    db: Annotated[Path, typer.Option(help="SQLite ledger file (created if missing)")] = Path(
        "orderdesk.db"
    ),
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="simulated minutes")] = 30,
    seed: Annotated[int, typer.Option(help="seed of the feed and the strategy")] = 7,
    chart: Annotated[Path, typer.Option(help="PNG chart of execution quality")] = Path(
        "orderdesk-quality.png"
    ),
) -> None:
    """Paper-trade BTC_USDT on a synthetic feed and show the blotter, fills and statistics."""
    console = Console()
    if not console.is_terminal:  # a pipe or a log: wide enough for the tables
        console = Console(width=140)
    console.print(
        f"[bold]orderdesk paper session[/]: BTC_USDT synthetic feed, {minutes} simulated "
        f"minutes, seed {seed}, ledger [cyan]{db}[/]"
    )
    with Progress(
        TextColumn("trading"), BarColumn(), TextColumn("{task.completed}/{task.total} s"),
        TimeElapsedColumn(), console=console, transient=False,
    ) as bar:  # fmt: skip
        task = bar.add_task("trading", total=minutes * 60)
        session = run_session(
            db, minutes=minutes, seed=seed, progress=lambda done: bar.update(task, completed=done)
        )
    _blotter(console, session)
    _fills(console, session)
    _statistics(console, session)
    _chart(console, session, chart)
    console.print(
        f"\nFiles: ledger [cyan]{db.resolve()}[/] (account {session.account}), "
        f"chart [cyan]{chart.resolve()}[/]"
    )


def _blotter(console: Console, session: Session) -> None:
    records = list(session.ledger.load_all(session.account))
    counts = Counter(record.order.status.value for record in records)
    summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    console.print(f"\n[bold]Blotter[/]: {len(records)} orders ({summary}); the last ten:")
    table = Table("order", "side", "type", "qty", "price", "stop", "status", "filled")
    for record in records[-10:]:
        order = record.order
        table.add_row(
            order.order_id,
            order.side.value,
            order.order_type.value,
            decimal_text(order.quantity),
            "" if order.price is None else decimal_text(order.price),
            "" if order.stop_price is None else decimal_text(order.stop_price),
            order.status.value,
            decimal_text(record.filled_quantity),
        )
    console.print(table)


def _fills(console: Console, session: Session) -> None:
    fills = [
        fill
        for record in session.ledger.load_all(session.account)
        if record.fill_count
        for fill in session.ledger.fills(session.account, record.order_id)
    ]
    fills.sort(key=lambda fill: fill.executed_at)
    table = Table("time", "order", "trade", "qty", "price", "fee", "liquidity")
    for fill in fills[-8:]:
        table.add_row(
            f"{fill.executed_at:%H:%M:%S}",
            fill.order_id,
            fill.trade_id,
            decimal_text(fill.quantity),
            decimal_text(fill.price),
            f"{decimal_text(fill.fee)} {fill.fee_asset or ''}".strip(),
            "" if fill.liquidity is None else fill.liquidity.value,
        )
    console.print(f"\n[bold]Recent fills[/] ({len(fills)} in all):")
    console.print(table)


def _statistics(console: Console, session: Session) -> None:
    result = report(executions(session.ledger, session.account), group_by=["order_type"])
    table = Table(
        "order type", "orders", "fill rate", "cancel rate", "slippage mean bps",
        "p50 bps", "p90 bps", "time to fill p50 s", "p90 s",
    )  # fmt: skip

    def show(value: Decimal | None, places: int) -> str:
        return "-" if value is None else f"{value:.{places}f}"

    def percent(value: Decimal | None) -> str:
        return "-" if value is None else f"{value * 100:.1f}%"

    for (kind,), stats in result.groups.items():
        table.add_row(
            kind, str(stats.orders), percent(stats.fill_rate), percent(stats.cancel_rate),
            show(stats.slippage_mean_bps, 3), show(stats.slippage_median_bps, 3),
            show(stats.slippage_p90_bps, 3), show(stats.fill_time_p50_s, 1),
            show(stats.fill_time_p90_s, 1),
        )  # fmt: skip
    console.print("\n[bold]Execution quality[/] (slippage against the mid at submit):")
    console.print(table)


def _chart(console: Console, session: Session, path: Path) -> None:
    try:
        from orderdesk.stats.charts import plot_quality  # noqa: PLC0415 - optional extra

        plot_quality(executions(session.ledger, session.account), path)
    except ImportError:
        console.print("(no chart: pip install 'orderdesk[charts]' for the PNG)")


@venue_app.command(
    "serve",
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],  # --help goes to the server's own options
    },
    help="Serve the paper venue as a Binance-spot REST subset on 127.0.0.1. "
    "Example: orderdesk venue serve --config examples/loopback-venue.json --state venue.db",
)
def serve(context: typer.Context) -> None:
    """Serve the paper venue (options: see ``orderdesk venue serve --help``)."""
    raise typer.Exit(serve_venue(list(context.args)))


def main() -> None:
    """Run the ``orderdesk`` command."""
    app()
