"""``python -m bench``: run every benchmark module of this package that has a ``main``."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path


def main() -> int:
    """Run each ``bench.<module>.main([])`` in name order; return the worst exit status."""
    status = 0
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        run: Callable[[list[str]], int] | None = getattr(
            importlib.import_module(f"bench.{module.name}"), "main", None
        )
        if run is not None:
            status = max(status, run([]))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
