"""The repository stands alone: no text in it points to documents its users do not have
(design documents, numbered seeds, sections marked with §) or to the history of the work
(issue numbers, "the ... issue"). What such a pointer meant is said here in orderdesk's
own words: the README and docs/concepts.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Precise on purpose: an RNG's seed ("seed 1", "--seed 7", "seed=seed") is not a pointer.
POINTERS = {
    "a design document": re.compile(r"(?i:\bdesign doc|\bthe Order design\b)|\bDESIGN\b"),
    "a numbered seed": re.compile(r"(?<![a-z])seed[ _]0\d\d(?!\d)|\bseed's\b", re.I),
    "a numbered document": re.compile(r"(?<![\d,.\-])(?<!\d_)00[04](?![\d,.])"),
    "a section mark": re.compile(r"§"),
    "an issue": re.compile(r"\bissues? #?\d+|\bthe [\w-]+ issue\b|\bthe issue\b", re.I),
}


def tracked_names() -> list[str]:
    """Every file git tracks or would track (untracked but not ignored); outside a git
    checkout (an unpacked source archive), every file but hidden ones and virtualenvs."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout.decode().split("\0")  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return [
            path.relative_to(ROOT).as_posix()
            for path in ROOT.rglob("*")
            if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        ]
    return [name for name in listed if name]


def tracked_text_files() -> list[Path]:
    """The tracked files that are text (no NUL byte in their first 8 KiB)."""
    found = []
    for name in tracked_names():
        path = ROOT / name
        if name == HERE or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" not in data[:8192]:
            found.append(path)
    return found


def pointers_in(text: str) -> list[tuple[int, str, str]]:
    """(line number, kind, the matched text) of every pointer in ``text``."""
    return [
        (number, kind, match.group(0))
        for number, line in enumerate(text.splitlines(), 1)
        for kind, pattern in POINTERS.items()
        for match in pattern.finditer(line)
    ]


def test_no_tracked_file_points_outside_the_repository() -> None:
    files = tracked_text_files()
    assert any(path.name == "README.md" for path in files)  # the search ran over the tree
    found = {
        f"{path.relative_to(ROOT)}:{number}": f"{kind}: {text!r}"
        for path in files
        for number, kind, text in pointers_in(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert found == {}


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Fields are those of the Order design document.", "a design document"),
        ("The two example orders of the Order design (004 §7)", "a design document"),
        ("Submitting follows DESIGN.md §4.", "a design document"),
        ("for scripts and seed 000's examples", "a numbered seed"),
        ("def test_seed_000_examples_run_as_written():", "a numbered seed"),
        ("an account's orders (the seed's `load`)", "a numbered seed"),
        ('"""An order as 004 defines it."""', "a numbered document"),
        ("class TestExamplesOf004:", "a numbered document"),
        ("(004 §10: computed, never stored)", "a section mark"),
        ("# The paper-exchange issue: the real Binance client", "an issue"),
        ('__all__ += ["MarketData"]  # the broker issue', "an issue"),
        ("## Ledger (issue 3)", "an issue"),
    ],
)
def test_each_kind_of_pointer_is_found(line: str, kind: str) -> None:
    assert kind in {found for _, found, _ in pointers_in(line)}


@pytest.mark.parametrize(
    "line",
    [
        "PaperExchange([market], clock=clock, seed=1)",
        "100,000 orders per mix, seed 1, best of 3 runs",
        "`orderdesk demo [--minutes 30] [--seed 7]`",
        "every random test prints its seed; replay with --hypothesis-seed=N",
        'quantity=Decimal("0.004"), price="95000.00", 1,000,000 orders, 10_004 steps',
        "trader_id=BENCH-001",
        "isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.",
        "a design with pydantic orders and a JSON journal",
    ],
)
def test_an_rng_seed_a_number_or_a_verb_is_no_pointer(line: str) -> None:
    assert pointers_in(line) == []
