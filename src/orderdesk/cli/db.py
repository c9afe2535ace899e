"""``orderdesk db upgrade`` and ``orderdesk venue serve``."""

from __future__ import annotations

import typer

from orderdesk.app import open_store, serve_venue
from orderdesk.cli._app import LEDGER_FORMS, DbOption, config, db_app, fail, shown, venue_app
from orderdesk.errors import LedgerMissing, SchemaVersionError, StoreError

__all__ = ["serve", "upgrade"]


@db_app.command(epilog="Example: orderdesk db upgrade --db postgresql://trader@db/orders")
def upgrade(db: DbOption = None) -> None:
    """Migrate the ledger's schema to this orderdesk's version (safe to repeat).

    Other commands never migrate: stop every process that writes the ledger, upgrade, then
    start the new version.
    """
    settings = config(db=db)
    url = settings.db
    name = shown(url)
    try:
        store = open_store(url, upgrade=False, create=False)
        typer.echo(f"ledger {name} is at schema version {store.schema_version}: up to date")
        return
    except LedgerMissing:
        fail(4, f"no ledger at {name}", "nothing to upgrade")
    except SchemaVersionError as error:
        if error.found > error.supported:
            fail(4, f"cannot use the ledger at {name}: {error}")
        found, target = error.found, error.supported
    except StoreError as error:
        fail(4, f"cannot open the ledger at {name}: {error}")
    except ValueError as error:
        fail(2, f"--db {name}: {error}", LEDGER_FORMS)
    typer.echo(
        f"upgrading ledger {name} from schema version {found} to {target} "
        "(a million orders take up to a minute)...",
        err=True,
    )
    try:
        store = open_store(url)
    except StoreError as error:
        fail(4, f"cannot upgrade the ledger at {name}: {error}")
    typer.echo(f"ledger {name} upgraded from schema version {found} to {store.schema_version}")


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
