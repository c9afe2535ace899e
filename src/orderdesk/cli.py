"""The ``orderdesk`` command."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orderdesk.clocks import SystemClock
from orderdesk.demo import Session, run_session
from orderdesk.errors import NotFound, StoreError
from orderdesk.ledger import Journal, Ledger
from orderdesk.ledger.stores import open_store
from orderdesk.model import decimal_text
from orderdesk.model.records import OrderRecord
from orderdesk.model.status_filter import status_filter
from orderdesk.ports import OrderQuery
from orderdesk.stats import executions, parse_window, report
from orderdesk.venues.loopback import main as serve_venue

__all__ = ["EXIT_CODES", "app", "main"]

EXIT_CODES = {
    0: "done",
    1: "an unexpected error (a bug: please report it)",
    2: "bad usage or input (an unknown option, a bad value, a misspelt status)",
    3: "not found (no such order in this account)",
    4: "the ledger cannot be opened (no such file, unreachable database, newer schema)",
}
"""The exit codes of every ``orderdesk`` command."""

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


# --- reading the ledger --------------------------------------------------------------

DbOption = Annotated[
    str, typer.Option("--db", envvar="ORDERDESK_DB", help="ledger: a SQLite file or a URL")
]
AccountOption = Annotated[
    str, typer.Option("--account", envvar="ORDERDESK_ACCOUNT", help="whose orders")
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON for scripts instead of tables")]


def _fail(code: int, message: str, hint: str = "") -> NoReturn:
    text = f"orderdesk: {message}" + (f" ({hint})" if hint else "")
    typer.echo(text, err=True)
    raise typer.Exit(code)


def _open_ledger(db: str) -> Ledger:
    if "://" not in db and not Path(db).exists():
        _fail(4, f"no ledger at {db}", "run `orderdesk demo` or pass --db")
    try:
        return Ledger(open_store(db), SystemClock())
    except StoreError as error:
        _fail(4, f"cannot open the ledger at {db}: {error}")


def _record_json(record: OrderRecord) -> dict[str, object]:
    return {
        **record.order.model_dump(mode="json"),
        "account": record.account,
        "submit_state": record.submit_state.value,
        "filled_quantity": decimal_text(record.filled_quantity),
        "client_order_id": record.client_order_id,
    }


@app.command(epilog="Example: orderdesk orders --account demo-7-20261122 --status OPEN --json")
def orders(
    *,
    account: AccountOption,
    db: DbOption = "orderdesk.db",
    status: Annotated[
        str | None, typer.Option(help="a status, or OPEN (working) / CLOSED (finished)")
    ] = None,
    symbol: Annotated[str | None, typer.Option(help="only this symbol, e.g. BTC_USDT")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="created at or after (ISO 8601, UTC if no zone)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List an account's orders, oldest first (the seed's ``load``)."""
    try:
        statuses = status_filter(status)
    except ValueError as error:
        _fail(2, str(error))
    ledger = _open_ledger(db)
    start = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC))
    query = OrderQuery(statuses=statuses, symbol=symbol, since=start)
    records = list(ledger.load_all(account, query))
    if as_json:
        typer.echo(json.dumps([_record_json(r) for r in records], indent=2))
        return
    table = Table("order", "side", "type", "qty", "price", "status", "filled", "created")
    for record in records:
        order = record.order
        table.add_row(
            order.order_id, order.side.value, order.order_type.value,
            decimal_text(order.quantity),
            "" if order.price is None else decimal_text(order.price),
            order.status.value, decimal_text(record.filled_quantity),
            f"{order.created_at:%Y-%m-%d %H:%M:%S}",
        )  # fmt: skip
    Console(width=140).print(table)


@app.command(epilog="Example: orderdesk fills ORD_20251201_150000_a1b2c3d4 --account alice")
def fills(
    order_id: str,
    account: AccountOption,
    db: DbOption = "orderdesk.db",
    as_json: JsonOption = False,
) -> None:
    """Show an order's fills."""
    ledger = _open_ledger(db)
    try:
        found = ledger.fills(account, order_id)
    except NotFound:
        _fail(3, f"order {order_id} not found in account {account}")
    if as_json:
        typer.echo(json.dumps([f.model_dump(mode="json") for f in found], indent=2))
        return
    table = Table("time", "trade", "qty", "price", "fee", "liquidity")
    for fill in found:
        table.add_row(
            fill.executed_at.isoformat(), fill.trade_id, decimal_text(fill.quantity),
            decimal_text(fill.price), f"{decimal_text(fill.fee)} {fill.fee_asset or ''}".strip(),
            "" if fill.liquidity is None else fill.liquidity.value,
        )  # fmt: skip
    Console(width=140).print(table)


@app.command(epilog="Example: orderdesk trace ORD_20251201_150000_a1b2c3d4 --account alice")
def trace(
    order_id: str,
    account: AccountOption,
    db: DbOption = "orderdesk.db",
    as_json: JsonOption = False,
) -> None:
    """Show an order's causality chain: plan, group, the order, every event and fill."""
    ledger = _open_ledger(db)
    try:
        chain = Journal(ledger.store).trace(account, order_id)
    except NotFound:
        _fail(3, f"order {order_id} not found in account {account}")
    entries = [
        {"seq": e.seq, "at": e.at.isoformat(), "kind": e.kind.value, "payload": dict(e.payload)}
        for e in chain.entries
    ]
    if as_json:
        typer.echo(json.dumps({
            "plan": None if chain.plan is None else chain.plan.model_dump(mode="json"),
            "group": chain.group.model_dump(mode="json"),
            "order": _record_json(chain.record),
            "entries": entries,
            "fills": [f.model_dump(mode="json") for f in chain.fills],
        }, indent=2))  # fmt: skip
        return
    console = Console(width=140)
    plan = "no plan" if chain.plan is None else f"plan {chain.plan.plan_id}"
    console.print(f"{plan} -> group {chain.group.group_id} ({chain.group.strategy}) -> {order_id}")
    table = Table("seq", "at", "kind", "details")
    for entry in entries:
        table.add_row(
            str(entry["seq"]),
            str(entry["at"]),
            str(entry["kind"]),
            json.dumps(entry["payload"])[:90],
        )
    console.print(table)


@app.command(epilog="Example: orderdesk stats --account alice --by symbol,order_type --json")
def stats(
    *,
    account: AccountOption,
    db: DbOption = "orderdesk.db",
    window: Annotated[str | None, typer.Option(help="the last 90s, 15m, 1h or 7d")] = None,
    by: Annotated[
        str, typer.Option(help="group by: symbol, side, order_type, account, venue")
    ] = "order_type",
    plot: Annotated[Path | None, typer.Option(help="also draw the PNG chart here")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show execution quality: slippage, time to fill and outcome rates."""
    group_by = [name.strip() for name in by.split(",") if name.strip()]
    try:
        span = None if window is None else parse_window(window)
        start = None if span is None else datetime.now(UTC) - span
        result = report(executions(_open_ledger(db), account, start=start), group_by=group_by)
    except ValueError as error:
        _fail(2, str(error))
    if plot is not None:
        ledger = _open_ledger(db)
        _chart(Console(stderr=True), Session(account, ledger, Path(db)), plot)
    if as_json:
        typer.echo(result.to_json())
        return
    table = Table(
        *group_by, "orders", "fill rate", "slippage mean bps", "p90 bps", "time to fill p50 s"
    )
    for key, figures in result.groups.items():
        table.add_row(
            *key, str(figures.orders),
            "-" if figures.fill_rate is None else f"{figures.fill_rate * 100:.1f}%",
            "-" if figures.slippage_mean_bps is None else f"{figures.slippage_mean_bps:.3f}",
            "-" if figures.slippage_p90_bps is None else f"{figures.slippage_p90_bps:.3f}",
            "-" if figures.fill_time_p50_s is None else f"{figures.fill_time_p50_s:.1f}",
        )  # fmt: skip
    Console(width=140).print(table)


def main() -> None:
    """Run the ``orderdesk`` command."""
    app()
