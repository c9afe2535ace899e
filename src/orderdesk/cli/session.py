"""Commands that trade on paper in process: ``demo`` and ``paper run``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from orderdesk.app import DEFAULT_MARKETS, read_feed
from orderdesk.cli._app import (
    INTERRUPTED,
    AccountOption,
    DbOption,
    StopFlag,
    app,
    config,
    console,
    exit_if_alarmed,
    fail,
    ledger_store,
    paper_app,
    shown,
    writable_file,
)
from orderdesk.cli.render import blotter, chart, charts_installed, quality, recent_fills
from orderdesk.demo import run_session
from orderdesk.errors import StoreError
from orderdesk.model import Market
from orderdesk.paper_run import CommitMode, check_inputs, load_strategy, read_orders, run_paper
from orderdesk.stats import executions

__all__ = ["demo", "paper_run"]


@app.command(
    epilog="Example: orderdesk demo --minutes 10 --db /tmp/paper.db --chart /tmp/quality.png"
)
def demo(
    db: Annotated[
        str,
        typer.Option(help="ledger: a SQLite file (created if missing) or a postgresql:// URL"),
    ] = "orderdesk.db",
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="simulated minutes")] = 30,
    seed: Annotated[int, typer.Option(help="seed of the feed and the strategy")] = 7,
    chart_path: Annotated[
        Path, typer.Option("--chart", help="PNG chart of execution quality")
    ] = Path("orderdesk-quality.png"),
) -> None:
    """Paper-trade BTC_USDT on a synthetic feed and show the blotter, fills and statistics."""
    # Everything that can be refused is refused before the first simulated second.
    if charts_installed():
        writable_file("--chart", chart_path)
    ledger_store(db, create=True).close()
    out = console()
    out.print(
        f"[bold]orderdesk paper session[/]: BTC_USDT synthetic feed, {minutes} simulated "
        f"minutes, seed {seed}, ledger [cyan]{shown(db)}[/]"
    )
    with (
        StopFlag().installed() as stop,
        Progress(
            TextColumn("trading"), BarColumn(), TextColumn("{task.completed}/{task.total} s"),
            TimeElapsedColumn(), console=out, transient=False,
        ) as bar,
    ):  # fmt: skip
        task = bar.add_task("trading", total=minutes * 60)
        session = run_session(
            db,
            minutes=minutes,
            seed=seed,
            progress=lambda done: bar.update(task, completed=done),
            stop=stop,
        )
    blotter(out, session.ledger, session.account)
    recent_fills(out, session.ledger, session.account)
    quality(out, session.ledger, session.account)
    try:
        drawn = chart(executions(session.ledger, session.account), chart_path)
    except OSError as error:
        drawn = False
        typer.echo(f"orderdesk: no chart: cannot write {chart_path}: {error.strerror}", err=True)
    where = f", chart [cyan]{chart_path.resolve()}[/]" if drawn else ""
    place = shown(db) if "://" in db else Path(db).resolve()
    out.print(f"\nFiles: ledger [cyan]{place}[/] (account {session.account}){where}")
    on_db = "" if db == "orderdesk.db" else f" --db {shown(db)}"
    out.print(
        f"Next: orderdesk orders{on_db} --status CLOSED, orderdesk stats{on_db} and "
        f"orderdesk trace{on_db} ORD_... read this account, the ledger's latest."
    )
    exit_if_alarmed(session.alarms)
    if session.interrupted:
        out.print("Interrupted: the session stopped early; every order it sent is recorded.")
        raise typer.Exit(INTERRUPTED)


def _markets(path: Path | None) -> tuple[Market, ...]:
    if path is None:
        return DEFAULT_MARKETS
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            Market(
                symbol=m["symbol"], base_asset=m["base_asset"], quote_asset=m["quote_asset"],
                tick_size=Decimal(m["tick_size"]), step_size=Decimal(m["step_size"]),
                min_quantity=Decimal(m.get("min_quantity", "0")),
                min_notional=Decimal(m.get("min_notional", "0")),
            )
            for m in raw
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, InvalidOperation) as error:
        fail(2, f"cannot read the markets file {path}: {error!r}",
             "a JSON list of {symbol, base_asset, quote_asset, tick_size, step_size, "
             "min_quantity, min_notional}")  # fmt: skip


def _deposits(texts: list[str]) -> dict[str, Decimal] | None:
    if not texts:
        return None
    found: dict[str, Decimal] = {}
    for text in texts:
        asset, sep, amount = text.partition("=")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal(-1)
        if not sep or not asset.isalnum() or not value.is_finite() or value < 0:
            fail(2, f"--deposit {text!r} is not ASSET=AMOUNT", "e.g. --deposit USDT=100000")
        found[asset.upper()] = value
    return found


@paper_app.command(
    "run",
    epilog="Example: orderdesk paper run --feed quotes.csv --orders orders.csv --db paper.db",
)
def paper_run(
    *,
    feed: Annotated[
        Path, typer.Option(help="market data CSV: quotes, trades or bars (see the README)")
    ],
    orders: Annotated[
        Path | None, typer.Option(help="orders CSV: each row is sent at its time")
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(help="module:function or file.py:function, called every --step"),
    ] = None,
    speed: Annotated[
        float, typer.Option(min=0, help="times real time; 0 replays as fast as it can")
    ] = 0.0,
    step: Annotated[float, typer.Option(min=0.001, help="strategy step, simulated seconds")] = 1.0,
    markets: Annotated[
        Path | None, typer.Option(help="JSON list of markets (default BTC_USDT, ETH_USDT)")
    ] = None,
    deposit: Annotated[
        list[str] | None, typer.Option(help="ASSET=AMOUNT, repeatable (default: plenty)")
    ] = None,
    commit: Annotated[
        CommitMode,
        typer.Option(
            case_sensitive=False,
            help="change: every ledger change its own commit; step: one commit per "
            "simulated step (a crash loses at most the step in progress)",
        ),
    ] = CommitMode.CHANGE,
    account: AccountOption = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON summary instead")] = False,
) -> None:
    """Replay your market data with your orders or strategy through the paper exchange."""
    if (orders is None) == (strategy is None):
        fail(2, "give exactly one of --orders and --strategy")
    settings = config(db=db, account=account)
    who = settings.account or f"paper-{datetime.now(UTC):%Y%m%d%H%M%S}"
    found_markets = _markets(markets)
    funds = _deposits(deposit or [])
    try:
        events = read_feed(feed, {m.symbol: m for m in found_markets})
        scheduled = read_orders(orders) if orders is not None else []
        function = load_strategy(strategy) if strategy is not None else None
        check_inputs(events, scheduled, {m.symbol: m for m in found_markets})
    except (OSError, ValueError, KeyError) as error:
        fail(2, str(error))
    out = console()
    if not as_json:
        out.print(f"[bold]paper run[/]: {len(events)} market events from {feed}, "
                  f"account {who}, ledger [cyan]{shown(settings.db)}[/]")  # fmt: skip
    try:
        with (
            StopFlag().installed() as stop,
            Progress(
                TextColumn("replaying"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(), console=out, transient=as_json, disable=as_json,
            ) as bar,
        ):  # fmt: skip
            task = bar.add_task("replaying", total=len(events))
            run = run_paper(
                events, settings.db, orders=scheduled, strategy=function, account=who,
                markets=found_markets, deposits=funds, speed=speed,
                step=timedelta(seconds=step),
                progress=lambda done: bar.update(task, completed=done), stop=stop,
                commit=commit,
            )  # fmt: skip
    except StoreError as error:
        fail(4, f"cannot use the ledger at {shown(settings.db)}: {error}")
    except ValueError as error:
        fail(2, str(error))
    if as_json:
        typer.echo(json.dumps({
            "account": run.account, "events": run.events, "submitted": len(run.submitted),
            "cancels": run.cancels,
            "refused": [{"at": at.isoformat(), "reason": why} for at, why in run.refused],
            "interrupted": run.interrupted, "commit": run.commit.value,
        }, indent=2))  # fmt: skip
    else:
        blotter(out, run.ledger, run.account)
        recent_fills(out, run.ledger, run.account)
        quality(out, run.ledger, run.account)
        for at, why in run.refused[:10]:
            out.print(f"refused at {at:%Y-%m-%d %H:%M:%S}: {why}")
        if len(run.refused) > 10:
            out.print(f"... and {len(run.refused) - 10} more refused by the pre-trade checks")
        out.print(f"\nLedger [cyan]{shown(settings.db)}[/], account {run.account}, "
                  f"committed per {run.commit.value}")  # fmt: skip
    exit_if_alarmed(run.alarms)
    if run.interrupted:
        if not as_json:
            out.print("Interrupted: the replay stopped early; every order it sent is recorded.")
        raise typer.Exit(INTERRUPTED)
