"""Every ordinary mistake is one line on stderr with a hint, a documented exit code, and
nothing written: run as the installed command would be, in a fresh process and directory.

A missing extra is simulated by a ``None`` in ``sys.modules`` before orderdesk is imported,
which makes ``import matplotlib`` (or ``psycopg``) fail as it does when not installed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from orderdesk.cli import EXIT_CODES

PG = "postgresql://trader@127.0.0.1:1/orders"
VENUE_CONFIG = Path(__file__).parents[2] / "examples" / "loopback-venue.json"
# Runs the command like its console script, after hiding the modules named in argv[1].
_LAUNCH = (
    "import sys\n"
    "for name in filter(None, sys.argv[1].split(',')): sys.modules[name] = None\n"
    "from orderdesk.cli import main\n"
    "main(sys.argv[2:])\n"
)


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    code: int
    words: tuple[str, ...]
    files: dict[str, bytes | None] = field(default_factory=dict)
    """Files (``None``: a directory) in the working directory before the command runs."""
    hidden: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


ACCOUNT = ("--account", "alice")
KEYS = {"ORDERDESK_PAPER_API_KEY": "k", "ORDERDESK_PAPER_SECRET": "s",
        "ORDERDESK_FLAKY_API_KEY": "k", "ORDERDESK_FLAKY_SECRET": "s"}  # fmt: skip
CASES = [
    # Extras that are not installed.
    Case("stats --plot without the charts extra", ("stats", *ACCOUNT, "--plot", "q.png"), 2,
         ("--plot needs the charts extra", "pip install 'orderdesk[charts]'"),
         hidden=("matplotlib",)),
    Case("a postgresql:// ledger without psycopg", ("orders", *ACCOUNT, "--db", PG), 4,
         ("needs the postgres extra", "pip install 'orderdesk[postgres]'"), hidden=("psycopg",)),
    Case("demo into postgresql:// without psycopg", ("demo", "--minutes", "1", "--db", PG), 4,
         ("needs the postgres extra", "pip install 'orderdesk[postgres]'"), hidden=("psycopg",)),
    # Ledger URLs and paths.
    Case("demo into an unreachable PostgreSQL", ("demo", "--minutes", "1", "--db", PG), 4,
         ("cannot open the ledger at postgresql://trader@127.0.0.1:1/orders", "refused")),
    Case("an unknown URL scheme", ("orders", *ACCOUNT, "--db", "mysql://db/orders"), 2,
         ("--db mysql://db/orders", "no store for URL scheme 'mysql'", "postgresql://")),
    Case("a sqlite URL without a path", ("orders", *ACCOUNT, "--db", "sqlite://"), 2,
         ("a sqlite URL needs a path",)),
    Case("a sqlite URL option unknown", ("orders", *ACCOUNT, "--db", "sqlite:///x.db?fast=1"), 2,
         ("unknown sqlite URL options", "fast")),
    Case("a memory:// ledger to read", ("orders", *ACCOUNT, "--db", "memory://"), 4,
         ("no ledger at memory://",)),
    Case("a missing ledger file", ("orders", *ACCOUNT, "--db", "none.db"), 4,
         ("no ledger at none.db", "orderdesk demo")),
    Case("a directory as the ledger", ("orders", *ACCOUNT, "--db", "books"), 4,
         ("books is a directory", "books/orderdesk.db"), files={"books": None}),
    Case("demo into a directory", ("demo", "--minutes", "1", "--db", "books"), 4,
         ("books is a directory",), files={"books": None}),
    Case("demo into a missing directory", ("demo", "--minutes", "1", "--db", "no/such.db"), 4,
         ("the directory no does not exist",)),
    Case("demo into an unwritable place", ("demo", "--minutes", "1", "--db", "/proc/x.db"), 4,
         ("cannot open the ledger at /proc/x.db",)),
    Case("an empty --db", ("orders", *ACCOUNT, "--db", ""), 2,
         ("the ledger is empty text", "pass --db")),
    Case("a venue URL that is not one", ("submit", "BTC_USDT", "BUY", "0.01", *ACCOUNT), 2,
         ("venue_url 'nope' is not an http:// or https:// URL",),
         env={"ORDERDESK_API_KEY": "k", "ORDERDESK_API_SECRET": "s",
              "ORDERDESK_VENUE_URL": "nope"}),
    Case("db upgrade of an unknown URL scheme", ("db", "upgrade", "--db", "mysql://db/x"), 2,
         ("no store for URL scheme 'mysql'",)),
    # Chart files.
    Case("stats --plot into a missing directory",
         ("stats", *ACCOUNT, "--plot", "/nonexistent/dir/x.png"), 2,
         ("--plot /nonexistent/dir/x.png", "there is no directory /nonexistent/dir")),
    Case("stats --plot onto a directory", ("stats", *ACCOUNT, "--plot", "charts"), 2,
         ("--plot charts is a directory",), files={"charts": None}),
    Case("demo --chart into a missing directory",
         ("demo", "--minutes", "1", "--chart", "/nonexistent/dir/x.png"), 2,
         ("--chart /nonexistent/dir/x.png", "there is no directory")),
    # Configuration.
    Case("a non-UTF-8 orderdesk.toml", ("orders", *ACCOUNT), 2,
         ("orderdesk.toml is not UTF-8 text", "save it as UTF-8"),
         files={"orderdesk.toml": b'account = "caf\xe9"\n'}),
    Case("an orderdesk.toml that is not TOML", ("orders",), 2, ("is not valid TOML",),
         files={"orderdesk.toml": b"account = \n"}),
    Case("a bad account name", ("orders", "--account", "al ice"), 2,
         ("invalid setting account",)),
    # Options of the read commands.
    Case("a bad --since", ("orders", *ACCOUNT, "--since", "yesterday"), 2,
         ("Invalid value for '--since'", "orderdesk orders --help")),
    Case("a bad --status", ("orders", *ACCOUNT, "--status", "DONE"), 2,
         ("unknown order status 'DONE'",)),
    Case("a bad --window", ("stats", *ACCOUNT, "--window", "3x"), 2,
         ("window '3x' is not a number and a unit",)),
    Case("an unknown --by key", ("stats", *ACCOUNT, "--by", "colour"), 2,
         ("cannot group by ['colour']", "symbol, side, order_type")),
    Case("an empty --by", ("stats", *ACCOUNT, "--by", ","), 2,
         ("--by names no key", "order_type")),
    Case("no account", ("submit", "BTC_USDT", "BUY", "0.01"), 2,
         ("no account given", "--account")),
    Case("a paper run feed that is not there",
         ("paper", "run", "--feed", "none.csv", "--orders", "none.csv"), 2,
         ("No such file or directory", "none.csv")),
    Case("a paper run commit mode that is not one",
         ("paper", "run", "--feed", "none.csv", "--orders", "none.csv", "--commit", "steps"), 2,
         ("Invalid value for '--commit'", "'steps' is not one of 'change', 'step'")),
    # The paper venue's server.
    Case("venue serve with a config that is not JSON",
         ("venue", "serve", "--config", "venue.json", "--state", "venue.db"), 2,
         ("the venue config venue.json is not valid JSON", "line 1 column 2"),
         files={"venue.json": b"{markets: []}"}),
    Case("venue serve with a missing config",
         ("venue", "serve", "--config", "venue.json", "--state", "venue.db"), 2,
         ("no venue config at venue.json", "--config")),
    Case("venue serve with a config lacking a key",
         ("venue", "serve", "--config", "venue.json", "--state", "venue.db"), 2,
         ("the venue config venue.json lacks 'markets'", "examples/loopback-venue.json"),
         files={"venue.json": b"{}"}),
    Case("venue serve with a key's variable unset",
         ("venue", "serve", "--config", str(VENUE_CONFIG), "--state", "venue.db"), 2,
         ("no account of", "can sign in: ORDERDESK_PAPER_API_KEY, ORDERDESK_PAPER_SECRET, "
          "ORDERDESK_FLAKY_API_KEY, ORDERDESK_FLAKY_SECRET not set", "export them")),
    Case("venue serve without --state", ("venue", "serve", "--config", "venue.json"), 2,
         ("required: --state", "orderdesk venue serve --help")),
    Case("venue serve with state in a missing directory",
         ("venue", "serve", "--config", str(VENUE_CONFIG), "--state", "no/v.db"), 2,
         ("cannot use the state file no/v.db: the directory no does not exist",), env=KEYS),
    Case("venue serve with a directory as state",
         ("venue", "serve", "--config", str(VENUE_CONFIG), "--state", "books"), 2,
         ("cannot use the state file books: books is a directory",), files={"books": None},
         env=KEYS),
    Case("venue serve with a state file that is not one",
         ("venue", "serve", "--config", str(VENUE_CONFIG), "--state", "notes.txt"), 2,
         ("cannot use the state file notes.txt: file is not a database",),
         files={"notes.txt": b"my notes, not a venue's state\n" * 100}, env=KEYS),
    Case("venue serve on no port",
         ("venue", "serve", "--config", str(VENUE_CONFIG), "--state", "v.db", "--port", "99999"),
         2, ("'99999' is not a port from 0 to 65535",), env=KEYS),
    Case("venue serve on a port in use",
         ("venue", "serve", "--config", str(VENUE_CONFIG), "--state", "venue.db",
          "--port", "{busy_port}"), 2,
         ("port {busy_port} on 127.0.0.1 is already in use", "--port 0 picks a free one"),
         env=KEYS),
]  # fmt: skip


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else listens on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield int(held.getsockname()[1])


def _environ(**extra: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_")}
    return {**kept, "COLUMNS": "200", **extra}


def orderdesk(
    cwd: Path, *args: str, hidden: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the command in a fresh interpreter in ``cwd``, with ``hidden`` modules missing."""
    return subprocess.run(
        [sys.executable, "-c", _LAUNCH, ",".join(hidden), *args],
        cwd=cwd, env=_environ(**env), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(path.relative_to(root)): None if path.is_dir() else path.read_bytes()
        for path in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_mistake_is_one_line_with_a_hint_and_writes_nothing(
    case: Case, tmp_path: Path, busy_port: int
) -> None:
    for name, content in case.files.items():
        if content is None:
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_bytes(content)
    before = _tree(tmp_path)
    args = [arg.replace("{busy_port}", str(busy_port)) for arg in case.args]
    done = orderdesk(tmp_path, *args, hidden=case.hidden, **case.env)
    assert (done.returncode, done.stdout) == (case.code, ""), done.stderr
    assert case.code in EXIT_CODES
    assert done.stderr.startswith("orderdesk: "), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    for word in case.words:
        assert word.replace("{busy_port}", str(busy_port)) in done.stderr, done.stderr
    assert _tree(tmp_path) == before


def test_the_demo_without_the_charts_extra_skips_the_chart_and_says_how_to_get_it(
    tmp_path: Path,
) -> None:
    done = orderdesk(tmp_path, "demo", "--minutes", "1", hidden=("matplotlib",))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "(no chart: pip install 'orderdesk[charts]' for the PNG)\n"
    assert "Execution quality" in done.stdout
    assert ", chart" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("orderdesk.db-")) == [
        "orderdesk.db"
    ]


def _tables(url: str, schema: str) -> list[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
            (schema,),
        ).fetchall()
    return [row[0] for row in rows]


def _in_schema(url: str, schema: str) -> str:
    """``url`` with its search path set to ``schema`` (libpq's ``options``)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def test_reads_of_an_empty_postgresql_database_refuse_like_a_missing_file(
    pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    url, schema = pg_schema
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    ledger = _in_schema(url, schema)
    for args in (("orders", *ACCOUNT), ("stats", *ACCOUNT), ("db", "upgrade")):
        done = orderdesk(tmp_path, *args, "--db", ledger)
        assert done.returncode == 4, (args, done.stderr)
        assert done.stderr.startswith("orderdesk: no ledger at postgresql://"), done.stderr
        assert done.stderr.count("\n") == 1
    missing = orderdesk(tmp_path, "orders", *ACCOUNT, "--db", "none.db")
    assert missing.returncode == 4
    assert missing.stderr.startswith("orderdesk: no ledger at none.db")
    assert _tables(url, schema) == []
    assert list(tmp_path.iterdir()) == []


def test_the_demo_trades_into_postgresql_and_the_reads_find_it(
    pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    url, schema = pg_schema
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    ledger = _in_schema(url, schema)
    done = orderdesk(tmp_path, "demo", "--minutes", "2", "--db", ledger)
    assert done.returncode == 0, done.stderr
    assert f"Files: ledger {ledger}" in " ".join(done.stdout.split())
    account = done.stdout.split("(account ", 1)[1].split(")", 1)[0]
    assert "orders" in _tables(url, schema)
    assert not (tmp_path / "orderdesk.db").exists()
    listed = orderdesk(tmp_path, "orders", "--account", account, "--db", ledger, "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count('"order_id"') > 5
