"""orderdesk db upgrade, reads that never migrate, and an example in every command's help."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from orderdesk.cli import app
from orderdesk.ledger.stores import open_store
from orderdesk.ledger.stores.sqlite_schema import LATEST, migrate


def _old_ledger(path: Path) -> None:
    """A ledger at schema version 1, as the first release wrote it."""
    with sqlite3.connect(path) as db:
        migrate(db, 0, target=1)


def _version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT version FROM orderdesk_schema").fetchone()[0])


def test_reads_refuse_an_old_ledger_and_db_upgrade_migrates_it(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _old_ledger(db)
    run = CliRunner().invoke
    read = run(app, ["orders", "--db", str(db), "--account", "alice"])
    assert read.exit_code == 4
    assert f"schema version 1 is older than this orderdesk's ({LATEST})" in read.output
    assert "orderdesk db upgrade" in read.output
    assert _version(db) == 1  # the read changed nothing
    upgraded = run(app, ["db", "upgrade", "--db", str(db)])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout == f"ledger {db} upgraded from schema version 1 to {LATEST}\n"
    assert upgraded.stderr == (
        f"upgrading ledger {db} from schema version 1 to {LATEST} "
        "(a million orders take up to a minute)...\n"
    )
    assert _version(db) == LATEST
    again = run(app, ["db", "upgrade", "--db", str(db)])
    assert again.output == f"ledger {db} is at schema version {LATEST}: up to date\n"
    assert run(app, ["orders", "--db", str(db), "--account", "alice", "--json"]).output == "[]\n"


def test_db_upgrade_refuses_a_missing_or_newer_ledger(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["db", "upgrade", "--db", str(tmp_path / "none.db")])
    assert (missing.exit_code, missing.output.count("\n")) == (4, 1)
    assert not (tmp_path / "none.db").exists()
    newer = tmp_path / "newer.db"
    open_store(str(newer)).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE orderdesk_schema SET version = ?", (LATEST + 1,))
    refused = CliRunner().invoke(app, ["db", "upgrade", "--db", str(newer)])
    assert refused.exit_code == 4
    assert "newer than this orderdesk supports" in refused.output


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of commands
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_every_command_shows_an_example_in_its_help() -> None:
    root: Any = typer.main.get_command(app)
    names = _commands(root)
    assert {" ".join(n) for n in names} >= {
        "demo", "orders", "fills", "trace", "stats", "submit", "cancel", "reconcile",
        "paper run", "venue serve", "db upgrade",
    }  # fmt: skip
    for name in names:
        if name == ("venue", "serve"):  # its --help belongs to the server: checked elsewhere
            help_text = root.commands["venue"].commands["serve"].help or ""
        else:
            help_text = CliRunner().invoke(app, [*name, "--help"]).output
        assert "Example" in help_text, name
        assert f"orderdesk {' '.join(name)}" in help_text.replace("\n", " "), name


def test_a_password_in_the_ledger_url_is_never_printed() -> None:
    url = "postgresql://trader:hunter2-canary@127.0.0.1:1/orders"
    for args in (["orders", "--account", "a"], ["db", "upgrade"]):
        result = CliRunner().invoke(app, [*args, "--db", url])
        assert result.exit_code == 4, result.output
        assert "postgresql://trader:***@127.0.0.1:1/orders" in result.output
        assert "hunter2-canary" not in result.output
