"""Shared test setup: hypothesis profiles and seed reporting."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Every hypothesis test prints its seed on failure (print_blob) and derandomize is off, so a
# failing run names the seed to replay with `--hypothesis-seed=N`.
settings.register_profile("dev", max_examples=100, print_blob=True)
settings.register_profile(
    "ci",
    max_examples=300,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
