"""Shared test setup: hypothesis profiles and seed reporting, the PostgreSQL fixture."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
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

POSTGRES_URL = os.environ.get("ORDERDESK_TEST_POSTGRES_URL")


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """Yield (url, fresh schema name); drop the schema afterwards.

    Skips without ORDERDESK_TEST_POSTGRES_URL; with it, an unreachable server fails the test.
    """
    if not POSTGRES_URL:
        pytest.skip("set ORDERDESK_TEST_POSTGRES_URL to run the PostgreSQL store tests")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    yield POSTGRES_URL, schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
