"""Store fixtures: PostgreSQL runs when ORDERDESK_TEST_POSTGRES_URL is set, and then must work."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

POSTGRES_URL = os.environ.get("ORDERDESK_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """Yield (url, fresh schema name); drop the schema afterwards.

    Skips without ORDERDESK_TEST_POSTGRES_URL; with it, an unreachable server fails the test.
    """
    if not POSTGRES_URL:
        pytest.skip("set ORDERDESK_TEST_POSTGRES_URL to run the PostgreSQL store tests")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    yield POSTGRES_URL, schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
