"""The import-layer contract is live: it fails when the model imports a storage driver."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        check=False,
    )


def copy_project(tmp_path: Path) -> Path:
    tree = tmp_path / "project"
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_contract_holds_for_the_code_as_it_is(tmp_path: Path) -> None:
    result = run_lint_imports(copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout
    assert " 0 broken" in result.stdout


def test_the_contract_breaks_when_the_model_imports_sqlite3(tmp_path: Path) -> None:
    tree = copy_project(tmp_path)
    enums = tree / "src" / "orderdesk" / "model" / "enums.py"
    enums.write_text(enums.read_text() + "\nimport sqlite3  # noqa\n")
    result = run_lint_imports(tree)
    assert result.returncode == 1
    assert "orderdesk.model.enums -> sqlite3" in result.stdout


def test_the_contract_breaks_when_the_model_imports_upward(tmp_path: Path) -> None:
    tree = copy_project(tmp_path)
    order = tree / "src" / "orderdesk" / "model" / "order.py"
    order.write_text(order.read_text() + "\nimport orderdesk.clocks  # noqa\n")
    result = run_lint_imports(tree)
    assert result.returncode == 1
    assert "orderdesk.model.order -> orderdesk.clocks" in result.stdout


def test_the_contract_breaks_when_the_broker_imports_the_statistics(tmp_path: Path) -> None:
    tree = copy_project(tmp_path)
    sessions = tree / "src" / "orderdesk" / "broker" / "sessions.py"
    sessions.write_text(sessions.read_text() + "\nimport orderdesk.stats  # noqa\n")
    result = run_lint_imports(tree)
    assert result.returncode == 1
    assert "The broker never imports the statistics" in result.stdout
    assert "orderdesk.broker.sessions -> orderdesk.stats" in result.stdout
