"""Shared timing for benchmarks: best-of-N wall time per operation, machine facts."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["best_per_op", "machine_line"]


def best_per_op(run: Callable[[int], object], n: int, repeats: int = 5) -> float:
    """Return the best seconds per operation of ``run(n)`` over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run(n)
        best = min(best, time.perf_counter() - start)
    return best / n


def machine_line() -> str:
    """Describe the machine and interpreter in one line for RESULTS.md."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}"
    )
