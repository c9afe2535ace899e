"""Commands that talk to the venue: submit, cancel, reconcile.

They trade where the configuration says (``venue``: ``loopback`` is the paper venue of
``orderdesk venue serve`` at ``venue_url``), with credentials from the environment or a
secrets file, never from a flag.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from typer.core import TyperArgument, TyperCommand, TyperOption

from orderdesk.app import live_desk
from orderdesk.broker import AsyncBroker
from orderdesk.broker.core import NOT_SENT_CODE
from orderdesk.broker.pretrade import roundings
from orderdesk.cli._app import (
    INTERRUPTED,
    STILL_WORKING,
    AccountOption,
    DbOption,
    JsonOption,
    app,
    config,
    console,
    exit_if_alarmed,
    fail,
    known_order,
    open_ledger,
    require_account,
)
from orderdesk.cli.config import Config
from orderdesk.cli.render import record_json
from orderdesk.errors import PreTradeRejected, VenueError
from orderdesk.model import (
    Market,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    decimal_text,
    generate_group_id,
)
from orderdesk.model.decimals import parse_positive
from orderdesk.model.order import SYMBOL, symbol_of
from orderdesk.model.records import JournalKind, OrderRecord, SubmitState
from orderdesk.model.venue import RejectCode

__all__ = ["cancel", "reconcile", "submit"]

_T = TypeVar("_T")


_NUMBER_HINT = "plain decimals such as 0.015: no sign, exponent or spaces"
_NEGATIVE = re.compile(r"-[0-9.].*")
_FLAGS = {"quantity": "QTY", "price": "--limit", "stop_price": "--stop"}


def _decimal(name: str, text: str | None) -> Decimal | None:
    """The strict parser of the Order's quantities and prices, with the flag's name."""
    if text is None:
        return None
    try:
        return parse_positive(text)
    except ValueError as error:
        fail(2, f"{name} {error}", _NUMBER_HINT)


def _symbol(text: str) -> str:
    symbol = symbol_of(text)
    if re.fullmatch(SYMBOL, symbol) is None:
        fail(2, f"SYMBOL {text!r} is not a market symbol", "BASE_QUOTE, e.g. BTC_USDT or BTC/USDT")
    return symbol


class _NegativeNumbers(TyperCommand):
    """Reads ``-0.01`` among the arguments as the negative number it is, not as an option
    ``-0``, and refuses it for what it is."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        valued = {
            name for param in self.params if isinstance(param, TyperOption)
            and not param.is_flag for name in param.opts
        }  # fmt: skip
        slots = [(param.metavar or str(param.name)).upper() for param in self.params
                 if isinstance(param, TyperArgument)]  # fmt: skip
        seen, skip = 0, False
        for token in args:
            if skip or token in valued:
                skip = not skip
                continue
            if token == "--":
                break
            if _NEGATIVE.fullmatch(token):
                name = slots[seen] if seen < len(slots) else "argument"
                fail(2, f"{name} {token!r} is a negative number; it must be greater than 0",
                     "SELL to sell; " + _NUMBER_HINT)  # fmt: skip
            if not token.startswith("-"):
                seen += 1
        return list(super().parse_args(ctx, args))


def _on_tick(order: Order, market: Market | None, allowed: bool) -> list[str]:
    """Refuse a price or quantity off the market's tick or step before anything is recorded
    or sent, or with ``allowed`` return the notes that say how each is rounded."""
    if market is None:
        return []  # the broker refuses an unknown symbol
    found = roundings(order, market)
    said = [
        f"{_FLAGS[r.field]} {decimal_text(r.before)} to {decimal_text(r.after)} "
        f"({'step' if r.field == 'quantity' else 'tick'} {decimal_text(r.increment)})"
        for r in found
    ]
    if found and not allowed:
        code = (RejectCode.QUANTITY_NOT_ON_STEP if found[0].field == "quantity"
                else RejectCode.PRICE_NOT_ON_TICK)  # fmt: skip
        raise PreTradeRejected(
            code, f"{market.symbol} would round {', '.join(said)}; pass --round to send it so"
        )
    return [f"orderdesk: rounded {text} for {market.symbol}" for text in said]


def _run(settings: Config, work: Callable[[AsyncBroker], Coroutine[Any, Any, _T]]) -> _T:
    """Run ``work`` on the desk the configuration names; map failures to exit codes."""
    account = require_account(settings)
    try:
        desk = live_desk(
            settings.venue, lambda: open_ledger(settings.db, create=True), account=account,
            url=settings.venue_url, api_key=settings.api_key, api_secret=settings.api_secret,
            api_passphrase=settings.api_passphrase, sandbox=settings.sandbox,
        )  # fmt: skip
    except ValueError as error:
        fail(2, str(error))

    async def session() -> _T:
        try:
            return await work(desk.broker)
        finally:
            await desk.aclose()

    where = settings.venue + (f" at {settings.venue_url}" if settings.venue_url else "")
    try:
        result = asyncio.run(session())
    except PreTradeRejected as error:
        fail(2, f"refused before sending: {error}", "nothing was recorded or sent")
    except VenueError as error:
        fail(5, f"venue {where}: {error}", "is the venue up? are the keys right?")
    except KeyboardInterrupt:
        fail(INTERRUPTED, "interrupted", "the ledger is consistent; `orderdesk reconcile` "
             "settles an order still in flight")  # fmt: skip
    exit_if_alarmed(desk.broker.alarms)
    return result


@dataclass(frozen=True)
class _Rejection:
    """Why an order ended REJECTED: the code and reason its ``rejected`` entry records."""

    code: str | None
    reason: str

    @classmethod
    async def of(cls, broker: AsyncBroker, record: OrderRecord) -> _Rejection | None:
        if record.order.status is not OrderStatus.REJECTED:
            return None
        chain = await broker.trace(record.order_id)
        found = [e for e in chain.entries if e.kind is JournalKind.REJECTED]
        if not found:
            return cls(None, "no reason recorded")
        payload = found[-1].payload
        return cls(payload.get("code"), str(payload.get("reason") or "no reason given"))

    def text(self) -> str:
        return f"{self.code}: {self.reason}" if self.code else self.reason


@dataclass(frozen=True)
class _Submitted:
    """What ``submit`` shows: the record, why it was rejected, whether --wait ran out."""

    record: OrderRecord
    rejection: _Rejection | None = None
    wait: float = 0.0

    @property
    def outcome(self) -> str:
        """``rejected``, ``not_sent``, ``in_doubt``, ``still_working`` (--wait ran out) or
        ``done`` (the venue answered; with --wait, the order finished)."""
        if self.rejection is not None:
            return "not_sent" if self.rejection.code == NOT_SENT_CODE else "rejected"
        if self.record.submit_state is SubmitState.IN_DOUBT:
            return "in_doubt"
        if self.wait and not self.record.order.status.is_terminal:
            return "still_working"
        return "done"


def _show(record: OrderRecord, as_json: bool, submitted: _Submitted | None = None) -> None:
    if as_json:
        shown: dict[str, object] = record_json(record)
        if submitted is not None:
            shown["outcome"] = submitted.outcome
            refused = submitted.rejection
            if refused is not None:
                shown["rejection"] = {"code": refused.code, "reason": refused.reason}
        typer.echo(json.dumps(shown, indent=2))
        return
    order = record.order
    why = None if submitted is None else submitted.rejection
    columns = ["order", "side", "type", "qty", "price", "status", "filled", "client id"]
    table = Table(*columns, *(["reason"] if why is not None else []))
    for column in (table.columns[0], table.columns[7]):  # ids are copied: never cut them
        column.no_wrap, column.min_width = True, len(record.client_order_id or order.order_id)
    table.add_row(
        order.order_id, order.side.value, order.order_type.value, decimal_text(order.quantity),
        "" if order.price is None else decimal_text(order.price), order.status.value,
        decimal_text(record.filled_quantity), record.client_order_id or "",
        *([why.text()] if why is not None else []),
    )  # fmt: skip
    console().print(table)


def _outcome(submitted: _Submitted) -> None:
    record, why = submitted.record, submitted.rejection
    outcome = submitted.outcome
    if outcome == "not_sent":
        assert why is not None
        fail(5, f"{record.order_id} was not sent: {why.reason}",
             "recorded as REJECTED; is the venue up?")  # fmt: skip
    if outcome == "rejected":
        assert why is not None
        fail(6, f"the venue rejected {record.order_id}: {why.text()}", "recorded as REJECTED")
    if outcome == "in_doubt":
        fail(5, "the venue's answer is not known yet", "`orderdesk reconcile` settles it")
    if outcome == "still_working":
        status = record.order.status.value
        fail(STILL_WORKING, f"{record.order_id} is still {status} after --wait "
             f"{submitted.wait:g} s; it keeps working at the venue",
             f"`orderdesk orders --status OPEN` follows it, `orderdesk cancel "
             f"{record.order_id}` stops it")  # fmt: skip


@app.command(
    cls=_NegativeNumbers,
    epilog="Examples: orderdesk submit BTC_USDT BUY 0.01 --limit 94000 --account alice; "
    "orderdesk submit BTC_USDT SELL 0.01 --limit 96000 --stop 95500 --tif GTC",
)
def submit(
    symbol: Annotated[str, typer.Argument(metavar="SYMBOL", help="e.g. BTC_USDT (or BTC/USDT)")],
    side: Annotated[Side, typer.Argument(metavar="SIDE", help="BUY or SELL", case_sensitive=False)],
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="in the base asset, e.g. 0.015")],
    *,
    limit: Annotated[
        str | None, typer.Option(help="limit price (LIMIT; STOP_LIMIT with --stop)")
    ] = None,
    stop: Annotated[str | None, typer.Option(help="stop price (STOP_LIMIT, needs --limit)")] = None,
    tif: Annotated[TimeInForce, typer.Option(help="time in force", case_sensitive=False)] = (
        TimeInForce.GTC
    ),
    expire_at: Annotated[
        datetime | None, typer.Option(help="GTD expiry (ISO 8601, UTC if no zone)")
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="execution group EXG_... (default: a new one)")
    ] = None,
    wait: Annotated[
        float, typer.Option(min=0, help="seconds to follow the order until it finishes")
    ] = 0.0,
    round_: Annotated[
        bool,
        typer.Option(
            "--round",
            help="round QTY down to the venue's step and prices to its tick (in the owner's "
            "favour) instead of refusing them; says what was rounded",
        ),
    ] = False,
    account: AccountOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record an order, send it to the venue and show what the venue said.

    MARKET without --limit, LIMIT with it, STOP_LIMIT with --limit and --stop.

    A QTY or price off the venue's step or tick is refused unless --round is given.
    """
    settings = config(db=db, account=account)
    price, stop_price = _decimal("--limit", limit), _decimal("--stop", stop)
    size = _decimal("QTY", quantity)
    symbol = _symbol(symbol)
    if stop_price is not None and price is None:
        fail(2, "--stop needs --limit (a STOP_LIMIT order has both)")
    kind = (
        OrderType.MARKET if price is None
        else OrderType.LIMIT if stop_price is None else OrderType.STOP_LIMIT
    )  # fmt: skip
    now = datetime.now(UTC)
    expiry = None
    if expire_at is not None:
        expiry = expire_at if expire_at.tzinfo else expire_at.replace(tzinfo=UTC)
    fields: dict[str, object] = {
        "parent_group_id": group or generate_group_id(now), "symbol": symbol,
        "side": side, "order_type": kind, "quantity": size, "price": price,
        "stop_price": stop_price, "time_in_force": tif, "expire_at": expiry,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    try:
        order = Order.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValueError as error:
        errors = getattr(error, "errors", None)
        message = str(error) if errors is None else errors()[0]["msg"]
        fail(2, f"bad order: {message}", "nothing was recorded or sent")

    async def work(broker: AsyncBroker) -> _Submitted:
        notes = _on_tick(order, (await broker.markets()).get(order.symbol), round_)
        record = await broker.submit(order)
        for note in notes:  # once the order is recorded: a refusal stays one line
            typer.echo(note, err=True)
        deadline = asyncio.get_running_loop().time() + wait
        while not record.order.status.is_terminal and wait:
            if asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(min(0.5, wait))
            record = await broker.status(record.order_id)
        return _Submitted(record, await _Rejection.of(broker, record), wait)

    submitted = _run(settings, work)
    _show(submitted.record, as_json, submitted)
    _outcome(submitted)


@app.command(epilog="Example: orderdesk cancel ORD_20251201_150000_a1b2c3d4 --account alice")
def cancel(
    order_id: str,
    account: AccountOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cancel an order at the venue; show how it stands (FILLED if it filled first)."""
    settings = config(db=db, account=account)
    who = require_account(settings)
    ledger = open_ledger(settings.db)
    with known_order(order_id, who):
        ledger.get(who, order_id)

    async def work(broker: AsyncBroker) -> OrderRecord:
        return await broker.cancel(order_id)

    _show(_run(settings, work), as_json)


@app.command(epilog="Example: orderdesk reconcile --account alice --dry-run --json")
def reconcile(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="report the differences, change nothing")
    ] = False,
    account: AccountOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare the ledger with the venue and (unless --dry-run) adopt the venue's truth."""
    settings = config(db=db, account=account)

    async def work(broker: AsyncBroker) -> str:
        found = await broker.reconcile(dry_run=dry_run)
        if as_json:
            return found.to_json()
        counts = ", ".join(f"{kind} {n}" for kind, n in found.counts().items() if n)
        verb = "found (dry run, nothing changed)" if dry_run else "applied"
        lines = [
            f"reconciled {found.account} at {found.venue}: "
            f"{len(found.differences)} differences {verb}" + (f": {counts}" if counts else "")
        ]
        lines += [f"  {d.kind.value} {d.order_id or d.client_order_id}: ledger "
                  f"{d.ledger_status} venue {d.venue_status}: {d.action}"
                  for d in found.differences[:50]]  # fmt: skip
        return "\n".join(lines)

    typer.echo(_run(settings, work))
