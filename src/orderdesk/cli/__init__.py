"""The ``orderdesk`` command: paper trading, the blotter, trading at a venue, statistics.

Configuration comes from flags, then ``ORDERDESK_*`` variables, then ``orderdesk.toml``
(:mod:`orderdesk.cli.config`); errors are one line on stderr with an exit code from
:data:`EXIT_CODES`.
"""

from __future__ import annotations

import sys

import typer
from typer import Abort

try:  # typer vendors click from 0.2x on; before, it used click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException  # type: ignore[assignment]

from orderdesk.cli import db, read, session, trade
from orderdesk.cli._app import EXIT_CODES, INTERRUPTED, app

__all__ = ["EXIT_CODES", "INTERRUPTED", "app", "main"]
_COMMANDS = (db, read, session, trade)  # imported for their commands


@app.callback(invoke_without_command=True)
def _default(context: typer.Context) -> None:
    if context.invoked_subcommand is None:
        context.invoke(session.demo)


def main(argv: list[str] | None = None) -> None:
    """Run the ``orderdesk`` command; a usage error, too, is one line on stderr (exit 2)."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="orderdesk", standalone_mode=False)
    except ClickException as error:
        context = getattr(error, "ctx", None)
        where = "orderdesk" if context is None else context.command_path
        message = " ".join(error.format_message().split())
        typer.echo(f"orderdesk: {message} (see `{where} --help`)", err=True)
        sys.exit(error.exit_code)
    except Abort:
        sys.exit(INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
