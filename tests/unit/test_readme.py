"""Every block of README.md runs as written, as a newcomer on a fresh clone would run it.

Each fenced block is classified by :func:`handler`; a block nothing handles fails
:func:`test_every_block_is_handled`, so a new example cannot slip in untested.

* ``python``/``py`` blocks run in a fresh interpreter in an empty directory. The ccxt
  example trades on Binance's testnet in real life; here ccxt's own ``binance`` client is
  pointed at ``orderdesk venue serve`` on 127.0.0.1 (a prelude redirects
  ``orderdesk.app.ccxt_connector``; the block itself runs unchanged). A block whose first
  line is ``# NAME.py  ->  COMMAND`` is written to ``NAME.py`` and ``COMMAND`` is run.
* ``sh`` blocks run in README order, line by line, in one directory holding a copy of
  ``examples/`` (one terminal on a fresh clone), with this project's ``orderdesk`` on PATH.
  ``orderdesk venue serve`` starts in the background on a free port (``ORDERDESK_VENUE_URL``
  then points at it), and ``ORD_...`` becomes the latest order id a command printed.
  ``make`` lines are mapped to what their Makefile target runs (:data:`MAKE`).
* ``toml`` blocks are loaded as the command's ``orderdesk.toml``; the orders CSV is read by
  ``orderdesk paper run``'s own reader; the layout tree names modules that exist.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from orderdesk.cli.config import load_config
from orderdesk.paper_run import read_orders

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"
BIN = Path(sys.executable).parent
ORDER_ID = re.compile(r"ORD_\d{8}_\d{6}_[0-9a-f]{8}")
TIMEOUT = 60


@dataclass(frozen=True)
class Block:
    """One fenced block of the README: its language, its text and where it starts."""

    language: str
    text: str
    line: int

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.language or 'no language'})"


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^```([\w-]*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(match.group(1), match.group(2), line))
    return found


def handler(block: Block) -> str | None:
    """The name of the test that runs ``block``, or ``None`` if nothing does."""
    first = block.text.splitlines()[0] if block.text.strip() else ""
    if block.language in ("python", "py"):
        return "test_python_block"
    if block.language == "sh":
        return "test_shell_blocks"
    if block.language == "toml":
        return "test_toml_block_is_a_valid_config"
    if block.language == "" and first.startswith("time,symbol,side,order_type"):
        return "test_orders_csv_block_is_read_by_paper_run"
    if block.language == "" and first == "src/orderdesk/":
        return "test_layout_block_names_modules_that_exist"
    return None


def of(name: str) -> list[Block]:
    return [b for b in blocks() if handler(b) == name]


def test_every_block_is_handled() -> None:
    found = blocks()
    assert len(found) >= 10, "the README's blocks were not found"
    assert [str(b) for b in found if handler(b) is None] == []
    names = {handler(b) for b in found}
    tests = {name for name in globals() if name.startswith("test_")}
    assert names <= tests


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a newcomer: none of the developer's ORDERDESK_* settings, this
    project's ``orderdesk`` first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERDESK_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"  # tables wide enough that order ids are never wrapped
    return env | extra


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


# -- the venue the examples trade with ------------------------------------------------------

VENUE_KEY, VENUE_SECRET = "readme-key", "readme-secret"


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served paper venue with one funded account keyed VENUE_KEY/VENUE_SECRET."""
    from orderdesk.testing.loopback import served_venue  # noqa: PLC0415

    config = json.loads((ROOT / "examples" / "loopback-venue.json").read_text())
    config["accounts"] = [
        dict(config["accounts"][0], api_key=VENUE_KEY, secret=VENUE_SECRET, name="readme")
    ]
    with served_venue(config, tmp_path_factory.mktemp("venue"), clean_env()) as url:
        yield url


# -- python ---------------------------------------------------------------------------------

CCXT_PRELUDE = """\
import orderdesk.app
from orderdesk.venues.loopback import ccxt_urls

_real = orderdesk.app.ccxt_connector


def _at_the_loopback_venue(exchange_id, **options):
    # Binance's testnet in real life; here the same ccxt client at orderdesk venue serve.
    spot = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}
    options |= {"sandbox": False, "api_urls": ccxt_urls(URL), "config": {"options": spot}}
    return _real(exchange_id, **options)


orderdesk.app.ccxt_connector = _at_the_loopback_venue
"""

# What each example must have done, checked after it, by a name it defines.
CHECKS = {
    "fills = OrderFills": (
        "assert str(order.status) == 'PARTIALLY_FILLED', order.status\n"
        "assert str(fills.filled_quantity) == '0.2', fills.filled_quantity\n"
    ),
    "closed_trades =": (
        "assert [o.order_id for o in open_trades] == [trade.order_id]\n"
        "assert [(o.order_id, str(o.status)) for o in closed_trades] == "
        "[(trade.order_id, 'CANCELLED')]\n"
    ),
}


@pytest.mark.parametrize("block", of("test_python_block"), ids=str)
def test_python_block(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    first = block.text.splitlines()[0]
    file_and_command = re.fullmatch(r"# (\w+\.py)\s+->\s+(.+)", first)
    if file_and_command is not None:
        run_file_block(block, tmp_path, *file_and_command.groups())
        return
    script = block.text
    env = clean_env()
    if "ccxt_connector(" in script:
        url = request.getfixturevalue("venue")
        script = f"URL = {url!r}\n{CCXT_PRELUDE}\n{script}"
        env |= {"ORDERDESK_BINANCE_API_KEY": VENUE_KEY, "ORDERDESK_BINANCE_SECRET": VENUE_SECRET}
    checks = [check for name, check in CHECKS.items() if name in block.text]
    (tmp_path / "example.py").write_text(script + "\n" + "".join(checks))
    done = run([sys.executable, "example.py"], tmp_path, env)
    assert done.returncode == 0, f"{block}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    if "ccxt_connector(" in script:
        assert json.loads(done.stdout)["account"] == "binance-testnet"
    if "drain_reports()" in script:  # the paper venue: the MARKET BUY fills at once, in 4
        assert done.stdout.splitlines()[0].startswith("FILLED [(Decimal('0.")
        assert done.stdout.splitlines()[-1] == "['ACK', 'FILL', 'FILL', 'FILL', 'FILL']"


def run_file_block(block: Block, directory: Path, name: str, command: str) -> None:
    """Write ``block`` to ``name`` and run ``command`` beside it, on a feed it needs."""
    (directory / name).write_text(block.text)
    args = shlex.split(command)
    assert args[:4] == ["orderdesk", "paper", "run", "--feed"], command
    rows = ["time,symbol,bid_price,bid_quantity,ask_price,ask_quantity"]
    rows += [
        f"2025-12-01T15:{second // 60:02d}:{second % 60:02d}Z,BTC_USDT,94999.00,5,95001.00,5"
        for second in range(120)
    ]
    (directory / args[4]).write_text("\n".join(rows) + "\n")
    done = run(args, directory, clean_env())
    assert done.returncode == 0, f"{block}: {command}\n{done.stdout}\n{done.stderr}"
    # At 15:00:30 the strategy sends its BUY 5 below the mid; it rests, so it sends no more.
    assert "Blotter: 1 orders (OPEN 1)" in done.stdout, done.stdout


# -- sh -------------------------------------------------------------------------------------


def make_recipe(target: str) -> list[str]:
    """The command lines of a Makefile target."""
    lines = MAKEFILE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


@dataclass
class Terminal:
    """One shell on a fresh clone: its directory, its exports, what it printed, and the
    venue it started in the background."""

    directory: Path
    env: dict[str, str] = field(default_factory=clean_env)
    printed: list[str] = field(default_factory=list)
    venues: list[subprocess.Popen[str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def latest_order_id(self) -> str:
        for text in reversed(self.printed):
            ids: list[str] = ORDER_ID.findall(text)
            if ids:
                return ids[-1]
        raise AssertionError("ORD_... but no command printed an order id before")

    def orderdesk(self, args: list[str], where: str) -> subprocess.CompletedProcess[str]:
        args = [self.latest_order_id() if a == "ORD_..." else a for a in args]
        done = run(["orderdesk", *args], self.directory, self.env)
        self.log.append(f"$ orderdesk {shlex.join(args)}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, f"{where}: orderdesk {shlex.join(args)}\n{self.log[-1]}"
        assert "Traceback" not in done.stderr, self.log[-1]
        self.printed.append(done.stdout)
        return done

    def serve(self, args: list[str], where: str) -> None:
        """Start ``orderdesk venue serve`` as the README gives it, on a free port."""
        errors: IO[str] = (self.directory / "venue.stderr").open("w")
        process = subprocess.Popen(
            ["orderdesk", *args, "--port", "0"], cwd=self.directory, env=self.env,
            stdout=subprocess.PIPE, stderr=errors, text=True,
        )  # fmt: skip
        self.venues.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        errors.close()
        notices = (self.directory / "venue.stderr").read_text()
        assert "serving on http://127.0.0.1:" in line, f"{where}: {line!r} {notices}"
        self.env["ORDERDESK_VENUE_URL"] = line.rsplit(" ", 1)[-1].strip()
        self.log.append(f"$ orderdesk {shlex.join(args)}\n{line}{notices}")
        # The example config's second account has no keys in the README's exports.
        assert notices == (
            "orderdesk: account flaky cannot sign in: ORDERDESK_FLAKY_API_KEY and "
            "ORDERDESK_FLAKY_SECRET are not set (export them and restart to trade in it)\n"
        )

    def stop(self) -> None:
        for process in self.venues:
            process.terminate()
            process.wait(timeout=10)
            assert process.stdout is not None
            process.stdout.close()


def _make_demo(terminal: Terminal, where: str) -> None:
    assert make_recipe("demo") == ["$(BIN)/orderdesk demo"]
    done = terminal.orderdesk(["demo", "--minutes", "2"], where)  # the same, shorter
    assert "(account demo-7-" in done.stdout


def _make_test(terminal: Terminal, where: str) -> None:
    # Not run here: this test is part of what it runs.
    assert make_recipe("test") == ["$(BIN)/python -m pytest -n 2"]


def _make_lint(terminal: Terminal, where: str) -> None:
    # Not run here: CI runs it beside the tests, as the README says.
    assert "`.ci/run` runs `make test` then `make lint`" in README.read_text()
    assert make_recipe("lint") == [
        "$(BIN)/ruff check .", "$(BIN)/ruff format --check .", "$(BIN)/mypy", "$(BIN)/lint-imports"
    ]  # fmt: skip


def _make_bench(terminal: Terminal, where: str) -> None:
    # Not run here: the README says how long a full run takes.
    assert "A full run takes the better part of an hour" in " ".join(README.read_text().split())
    assert make_recipe("bench") == ["$(BIN)/python -m bench $(BENCH_ARGS)"]


def _activate(terminal: Terminal, where: str) -> None:
    # make's virtualenv is .venv; this test already has its orderdesk first on PATH.
    assert "VENV   := .venv" in MAKEFILE.read_text()
    assert (BIN / "orderdesk").exists()


MAKE: dict[str, Callable[[Terminal, str], None]] = {
    "make demo": _make_demo,
    "make test": _make_test,
    "make lint": _make_lint,
    "make bench": _make_bench,
    ". .venv/bin/activate": _activate,
}
"""README lines that are not ``orderdesk`` or ``export``, and what stands for them."""


def commands(block: Block) -> Iterator[tuple[list[str], str]]:
    """Each command of a shell block, split as the shell would, with where it is."""
    for offset, line in enumerate(block.text.splitlines(), start=1):
        args = shlex.split(line, comments=True)
        if args:
            yield args, f"README.md:{block.line + offset}"


def test_every_shell_line_is_run_or_mapped() -> None:
    unknown = [
        f"{where}: {shlex.join(args)}"
        for block in of("test_shell_blocks")
        for args, where in commands(block)
        if args[0] not in ("orderdesk", "export") and shlex.join(args) not in MAKE
    ]
    assert unknown == []


def test_shell_blocks(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    terminal = Terminal(tmp_path)
    try:
        for block in of("test_shell_blocks"):
            for args, where in commands(block):
                line = shlex.join(args)
                if args[0] == "export":
                    terminal.env |= dict(pair.split("=", 1) for pair in args[1:])
                elif line in MAKE:
                    MAKE[line](terminal, where)
                elif args[:3] == ["orderdesk", "venue", "serve"]:
                    terminal.serve(args[1:], where)
                else:
                    assert args[0] == "orderdesk", f"{where}: {line}"
                    terminal.orderdesk(args[1:], where)
    finally:
        terminal.stop()
    transcript = "\n".join(terminal.log)
    # After the demo, the reading commands showed its account without --account.
    assert transcript.count("(the ledger's latest; --account to choose)") == 3, transcript
    # The order the walk-through placed was cancelled, and reconcile found nothing amiss.
    assert re.search(r"│ CANCELLED │", transcript), transcript
    assert "0 differences found (dry run, nothing changed)" in transcript, transcript


# -- toml, csv, layout ----------------------------------------------------------------------


@pytest.mark.parametrize("block", of("test_toml_block_is_a_valid_config"), ids=str)
def test_toml_block_is_a_valid_config(block: Block, tmp_path: Path) -> None:
    (tmp_path / "orderdesk.toml").write_text(block.text)
    written = tomllib.loads(block.text)
    keys = {"ORDERDESK_API_KEY": "k", "ORDERDESK_API_SECRET": "s"}  # so no secrets file is read
    config = load_config(environ=keys, cwd=tmp_path)
    loaded = {name: getattr(config, name) for name in written}
    assert {k: str(v) if isinstance(v, Path) else v for k, v in loaded.items()} == written


@pytest.mark.parametrize("block", of("test_orders_csv_block_is_read_by_paper_run"), ids=str)
def test_orders_csv_block_is_read_by_paper_run(block: Block, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(block.text)
    orders = read_orders(tmp_path / "orders.csv")
    assert len(orders) == len(block.text.splitlines()) - 1


@pytest.mark.parametrize("block", of("test_layout_block_names_modules_that_exist"), ids=str)
def test_layout_block_names_modules_that_exist(block: Block) -> None:
    package = ROOT / "src" / "orderdesk"
    named = [
        name.strip()
        for line in block.text.splitlines()[1:]
        for name in line.split("  ", 2)[1].split(",")
        if line.strip()
    ]
    assert len(named) >= 10
    missing = [n for n in named if not (package / n).is_dir() | (package / f"{n}.py").exists()]
    assert missing == []
