"""The typer application, its exit codes and what every command shares."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn
from urllib.parse import urlsplit, urlunsplit

import typer
from rich.console import Console

from orderdesk.app import open_ledger as ledger_on
from orderdesk.app import open_store
from orderdesk.cli.config import Config, ConfigError, load_config
from orderdesk.errors import (
    IntegrityAlarm,
    LedgerMissing,
    NotFound,
    SchemaVersionError,
    StoreError,
)
from orderdesk.ledger import Journal, Ledger
from orderdesk.ports import Store

__all__ = [
    "ALARMED",
    "EXIT_CODES",
    "INTERRUPTED",
    "STILL_WORKING",
    "AccountOption",
    "DbOption",
    "JsonOption",
    "ReadingAccountOption",
    "LEDGER_FORMS",
    "StopFlag",
    "app",
    "config",
    "console",
    "db_app",
    "exit_if_alarmed",
    "fail",
    "ledger_store",
    "open_ledger",
    "paper_app",
    "reading_account",
    "require_account",
    "shown",
    "venue_app",
    "writable_file",
]

INTERRUPTED = 130
STILL_WORKING = 7
ALARMED = 8
LEDGER_FORMS = "a SQLite file such as orderdesk.db, sqlite:///file.db or postgresql://user@host/db"

EXIT_CODES = {
    0: "done",
    1: "an unexpected error (a bug: please report it)",
    2: "bad usage or input (an unknown option, a bad value, a misspelt status, a bad "
    "config file or `--db` URL, an order the pre-trade checks refuse or a price off the "
    "tick without `--round`, a chart file that cannot be written or `--plot` without the "
    "`charts` extra, a venue config that is missing or not valid, a venue port already in "
    "use); nothing was recorded or sent",
    3: "not found (no such order in this account)",
    4: "the ledger cannot be opened (no such file or no ledger in the database, unreachable "
    "database, the `postgres` extra not installed, a schema to upgrade first or one newer "
    "than this orderdesk)",
    5: "the venue cannot be reached, refused the credentials, or its answer is not known "
    "yet (`orderdesk reconcile` settles it)",
    6: "the venue rejected the order (recorded as REJECTED; its code and reason are shown)",
    STILL_WORKING: "`submit --wait N` ran out while the order still works at the venue (it stays "
    "recorded and working; follow it with `orderdesk orders` or `orderdesk cancel` it)",
    ALARMED: "an integrity alarm: the venue reported something that contradicts the "
    "ledger (an overfill, a trade id with other figures, another venue order id); nothing "
    "was changed, the alarm is journaled on the order, and stderr names the order and the "
    "trade id",
    INTERRUPTED: "interrupted (Ctrl-C); every recorded order is consistent and "
    "`orderdesk reconcile` settles one still in flight",
}
"""The exit codes of every ``orderdesk`` command."""

app = typer.Typer(
    name="orderdesk",
    help="Order management for algorithmic traders.",
    no_args_is_help=False,
    add_completion=False,
)
venue_app = typer.Typer(help="The paper venue served over HTTP.")
paper_app = typer.Typer(help="Paper trading on your own market data.")
db_app = typer.Typer(help="The ledger's schema.")
app.add_typer(venue_app, name="venue")
app.add_typer(paper_app, name="paper")
app.add_typer(db_app, name="db")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="ledger: a SQLite file or a postgresql:// URL "
        "[env ORDERDESK_DB, orderdesk.toml db; default orderdesk.db]",
        show_default=False,
    ),
]
AccountOption = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="whose orders [env ORDERDESK_ACCOUNT, orderdesk.toml account]",
        show_default=False,
    ),
]
ReadingAccountOption = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="whose orders [env ORDERDESK_ACCOUNT, orderdesk.toml account; default: the "
        "ledger's latest, the account that wrote to it last]",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON for scripts instead of tables")]


def fail(code: int, message: str, hint: str = "") -> NoReturn:
    """Print one line on stderr and exit with ``code``."""
    text = f"orderdesk: {' '.join(message.split())}" + (f" ({hint})" if hint else "")
    typer.echo(text, err=True)
    raise typer.Exit(code)


def exit_if_alarmed(alarms: Sequence[IntegrityAlarm]) -> None:
    """Name every integrity alarm on stderr, one line each, and exit 8 if there was one."""
    for alarm in alarms:
        typer.echo(f"orderdesk: integrity alarm: {alarm}", err=True)
    if alarms:
        order_id = getattr(alarms[0], "order_id", None)
        hint = f"`orderdesk trace {order_id}` shows it" if order_id else ""
        fail(ALARMED, f"{len(alarms)} venue report(s) refused as contradicting the ledger", hint)


def shown(url: str) -> str:
    """``url`` fit to print: a password in it is replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def console() -> Console:
    """A console for tables: the terminal's width, or 140 columns in a pipe or a log."""
    found = Console()
    return found if found.is_terminal else Console(width=140)


def config(**flags: object) -> Config:
    """The configuration with these flags over it; a bad one exits 2."""
    try:
        return load_config(flags)
    except ConfigError as error:
        fail(2, str(error))


def writable_file(option: str, path: Path) -> None:
    """Exit 2 unless a file can be written at ``path`` (checked before any work is done)."""
    if path.is_dir():
        fail(2, f"{option} {path} is a directory", "give a file name, e.g. quality.png")
    folder = path.parent
    if not folder.is_dir():
        fail(2, f"{option} {path}: there is no directory {folder}", "create it or pick another")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fail(2, f"{option} {path} cannot be written here", "pick a directory you can write")


def require_account(settings: Config) -> str:
    """The configured account, or exit 2 saying how to give one."""
    if settings.account is None:
        fail(2, "no account given", "pass --account, set ORDERDESK_ACCOUNT or account in "
             "orderdesk.toml")  # fmt: skip
    return settings.account


def reading_account(settings: Config, ledger: Ledger) -> str:
    """The account a reading command shows: the configured one, else the ledger's latest.

    Without ``--account``, ``ORDERDESK_ACCOUNT`` or ``account`` in ``orderdesk.toml``, the
    account that last wrote to the ledger (the latest demo or paper run, say) is read, and a
    one-line notice on stderr names it; an empty ledger exits 2 as :func:`require_account`.
    """
    if settings.account is not None:
        return settings.account
    latest = Journal(ledger.store).latest()
    if latest is None:
        return require_account(settings)
    typer.echo(
        f"orderdesk: account {latest.account} (the ledger's latest; --account to choose)",
        err=True,
    )
    return latest.account


@contextmanager
def known_order(order_id: str, account: str) -> Iterator[None]:
    """Exit 3 in one line if the ledger does not hold ``order_id`` in ``account``."""
    try:
        yield
    except NotFound:
        fail(3, f"order {order_id} not found in account {account}")


def open_ledger(db: str, *, create: bool = False) -> Ledger:
    """Open the ledger at ``db`` without migrating it; exit 4 if it cannot be used.

    A missing ledger (no SQLite file, a PostgreSQL database without orderdesk's tables) is
    created only when ``create`` is set (commands that write); reads create nothing.
    """
    return ledger_on(ledger_store(db, create=create))


def ledger_store(db: str, *, create: bool, upgrade: bool = False) -> Store:
    """Open the store at ``db``; a bad URL exits 2, a ledger that cannot be used exits 4."""
    if not db.strip():
        fail(2, "the ledger is empty text", f"pass --db: {LEDGER_FORMS}")
    try:
        return open_store(db, upgrade=upgrade, create=create)
    except LedgerMissing:
        fail(4, f"no ledger at {shown(db)}", "run `orderdesk demo` or pass --db")
    except SchemaVersionError as error:
        fail(4, f"cannot use the ledger at {shown(db)}: {error}")
    except StoreError as error:
        fail(4, f"cannot open the ledger at {shown(db)}: {str(error).replace(db, shown(db))}")
    except ValueError as error:
        fail(2, f"--db {shown(db)}: {error}", LEDGER_FORMS)


class StopFlag:
    """Ctrl-C asks a long run to stop at its next safe point instead of killing it there.

    The first SIGINT sets the flag (the run finishes the step it is in, so every order it
    sent is recorded with its outcome); a second one raises ``KeyboardInterrupt`` at once,
    which the ledger also survives (each change is one transaction; a paper run committed
    per step undoes the step in progress whole).
    """

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextmanager
    def installed(self) -> Iterator[StopFlag]:
        """Catch SIGINT while the block runs."""
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)
