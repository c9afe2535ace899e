"""Shared test setup: hypothesis profiles, one printed seed for every random test, figures,
and the PostgreSQL fixture."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, print_blob=True)
settings.register_profile(
    "ci",
    max_examples=300,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Choose the run's hypothesis seed up front so it can be printed and replayed."""
    if getattr(config.option, "hypothesis_seed", "absent") is None:
        config.option.hypothesis_seed = int.from_bytes(os.urandom(4), "big")


def pytest_report_header(config: pytest.Config) -> str:
    seed = getattr(config.option, "hypothesis_seed", None)
    profile = os.environ.get("HYPOTHESIS_PROFILE", "dev")
    return f"hypothesis profile {profile}, seed {seed} (replay: pytest --hypothesis-seed={seed})"


@pytest.fixture
def figure(record_property: object) -> object:
    """Record a measured figure; every figure is printed in the run's summary."""

    def record(text: str) -> None:
        record_property("figure", text)  # type: ignore[operator]

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [
        f"{report.nodeid.split('::')[-1]}: {value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", ())
        if key == "figure"
    ]
    if lines:
        terminalreporter.section("measured figures")
        for line in sorted(lines):
            terminalreporter.write_line(line)


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
