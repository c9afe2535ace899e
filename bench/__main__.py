"""Run every benchmark: ``python -m bench`` (or ``make bench``)."""

from __future__ import annotations

import importlib

SUITES = ["bench.model", "bench.venue", "bench.stats"]


def main() -> None:
    """Run each suite's ``main`` in turn."""
    for name in SUITES:
        module = importlib.import_module(name)
        print(f"\n### {name}")
        module.main()


if __name__ == "__main__":
    main()
