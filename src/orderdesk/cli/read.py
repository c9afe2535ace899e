"""Commands that read the ledger: orders, fills, trace, stats."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from orderdesk.cli._app import (
    DbOption,
    JsonOption,
    ReadingAccountOption,
    app,
    config,
    console,
    fail,
    known_order,
    open_ledger,
    reading_account,
    writable_file,
)
from orderdesk.cli.render import CHARTS_HINT, chart, charts_installed, record_json
from orderdesk.clocks import SystemClock
from orderdesk.ledger import Journal
from orderdesk.model import decimal_text
from orderdesk.model.execution_rows import EXECUTION_KEYS, check_keys
from orderdesk.model.order import symbol_of
from orderdesk.model.status_filter import status_filter
from orderdesk.ports import OrderQuery
from orderdesk.stats import executions, parse_window
from orderdesk.stats import executions_report as report

__all__ = ["fills", "orders", "stats", "trace"]


@app.command(epilog="Example: orderdesk orders --account alice --status OPEN --json")
def orders(
    *,
    account: ReadingAccountOption = None,
    db: DbOption = None,
    status: Annotated[
        str | None, typer.Option(help="a status, or OPEN (working) / CLOSED (finished)")
    ] = None,
    symbol: Annotated[
        str | None, typer.Option(help="only this symbol, e.g. BTC_USDT or BTC/USDT")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(help="created at or after (ISO 8601, UTC if no zone)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List an account's orders, oldest first (the Broker's ``load``)."""
    settings = config(db=db, account=account)
    try:
        statuses = status_filter(status)
    except ValueError as error:
        fail(2, str(error))
    ledger = open_ledger(settings.db)
    who = reading_account(settings, ledger)
    start = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC))
    query = OrderQuery(
        statuses=statuses, symbol=None if symbol is None else symbol_of(symbol), since=start
    )
    records = list(ledger.load_all(who, query))
    if as_json:
        typer.echo(json.dumps([record_json(r) for r in records], indent=2))
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
    console().print(table)


@app.command(epilog="Example: orderdesk fills ORD_20251201_150000_a1b2c3d4 --account alice")
def fills(
    order_id: str,
    account: ReadingAccountOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an order's fills."""
    settings = config(db=db, account=account)
    ledger = open_ledger(settings.db)
    who = reading_account(settings, ledger)
    with known_order(order_id, who):
        found = ledger.fills(who, order_id)
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
    console().print(table)


@app.command(epilog="Example: orderdesk trace ORD_20251201_150000_a1b2c3d4 --account alice")
def trace(
    order_id: str,
    account: ReadingAccountOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an order's causality chain: plan, group, the order, every event and fill."""
    settings = config(db=db, account=account)
    ledger = open_ledger(settings.db)
    who = reading_account(settings, ledger)
    with known_order(order_id, who):
        chain = Journal(ledger.store).trace(who, order_id)
    entries = [
        {"seq": e.seq, "at": e.at.isoformat(), "kind": e.kind.value, "payload": dict(e.payload)}
        for e in chain.entries
    ]
    if as_json:
        typer.echo(json.dumps({
            "plan": None if chain.plan is None else chain.plan.model_dump(mode="json"),
            "group": chain.group.model_dump(mode="json"),
            "order": record_json(chain.record),
            "entries": entries,
            "fills": [f.model_dump(mode="json") for f in chain.fills],
        }, indent=2))  # fmt: skip
        return
    out = console()
    plan = "no plan" if chain.plan is None else f"plan {chain.plan.plan_id}"
    out.print(f"{plan} -> group {chain.group.group_id} ({chain.group.strategy}) -> {order_id}")
    table = Table("seq", "at", "kind", "details")
    for entry in entries:
        table.add_row(
            str(entry["seq"]), str(entry["at"]), str(entry["kind"]),
            json.dumps(entry["payload"])[:90],
        )  # fmt: skip
    out.print(table)


@app.command(epilog="Example: orderdesk stats --account alice --window 1h --by symbol,order_type")
def stats(
    *,
    account: ReadingAccountOption = None,
    db: DbOption = None,
    window: Annotated[str | None, typer.Option(help="the last 90s, 15m, 1h or 7d")] = None,
    by: Annotated[
        str, typer.Option(help="group by: symbol, side, order_type, account, venue")
    ] = "order_type",
    plot: Annotated[Path | None, typer.Option(help="also draw the PNG chart here")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show execution quality: slippage, time to fill and outcome rates."""
    settings = config(db=db, account=account)
    group_by = [name.strip() for name in by.split(",") if name.strip()]
    if not group_by:
        fail(2, "--by names no key", f"choose from {', '.join(EXECUTION_KEYS)}")
    try:
        check_keys(group_by)
        span = None if window is None else parse_window(window)
    except ValueError as error:
        fail(2, str(error))
    if plot is not None:
        if not charts_installed():
            fail(2, "--plot needs the charts extra", CHARTS_HINT)
        writable_file("--plot", plot)
    ledger = open_ledger(settings.db)
    who = reading_account(settings, ledger)
    end = None if span is None else SystemClock().now()  # the window ends now
    start = None if end is None or span is None else end - span
    try:
        # As Broker.stats: the window selects orders by creation, and the report names it.
        found = executions(ledger, who, start=start, end=end)
        result = replace(report(found, group_by=group_by), start=start, end=end)
    except ValueError as error:
        fail(2, str(error))
    drawn = False
    if plot is not None:
        try:
            drawn = chart(executions(ledger, who, start=start, end=end), plot)
        except OSError as error:
            fail(2, f"--plot {plot} cannot be written: {error.strerror}")
    if as_json:
        typer.echo(result.to_json())
        if drawn:
            assert plot is not None
            typer.echo(f"orderdesk: chart written to {plot.resolve()}", err=True)
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
    out = console()
    out.print(table)
    if drawn:
        assert plot is not None
        out.print(f"Chart written to [cyan]{plot.resolve()}[/]")
