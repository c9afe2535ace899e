"""Run every benchmark: ``python -m bench [peers options]`` (or ``make bench BENCH_ARGS=...``).

Options after ``python -m bench`` go to the last suite, ``bench.peers`` (``--quick``,
``--systems``, ``--budget``, ...); the other suites run with their defaults.
"""

from __future__ import annotations

import importlib
import sys

SUITES = ["bench.model", "bench.venue", "bench.stats", "bench.paper_run", "bench.peers"]


def main(argv: list[str] | None = None) -> None:
    """Run each suite's ``main`` in turn."""
    peers_args = list(sys.argv[1:] if argv is None else argv)
    del sys.argv[1:]  # the other suites parse the command line themselves
    for name in SUITES:
        module = importlib.import_module(name)
        print(f"\n### {name}")
        if name == "bench.peers":
            module.main(peers_args)
        else:
            module.main()


if __name__ == "__main__":
    main()
