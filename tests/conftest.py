"""Shared test setup: hypothesis profiles, one printed seed for every random test, figures,
and the PostgreSQL fixture."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

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


def pytest_report_header(config: pytest.Config) -> list[str]:
    seed = getattr(config.option, "hypothesis_seed", None)
    profile = os.environ.get("HYPOTHESIS_PROFILE", "dev")
    return [
        f"hypothesis profile {profile}, seed {seed} (replay: pytest --hypothesis-seed={seed})",
        f"PostgreSQL tests: {'on, ' + _shown(POSTGRES_URL) if POSTGRES_URL else 'skipped'}",
    ]


def _shown(url: str) -> str:
    """``url`` without its password, for the header."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


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


DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url(
    environ: Mapping[str, str] = os.environ, default: str = DEFAULT_POSTGRES_URL
) -> str | None:
    """The server the PostgreSQL tests use, or ``None`` to skip them.

    ``ORDERDESK_TEST_POSTGRES_URL`` names it (then a server that does not answer fails
    those tests, as in CI); set to the empty string, it turns them off. Unset, ``default``
    is used if a server answers there within two seconds, and the tests skip otherwise.
    """
    if "ORDERDESK_TEST_POSTGRES_URL" in environ:
        return environ["ORDERDESK_TEST_POSTGRES_URL"] or None
    parts = urlsplit(default)
    try:  # a refused connection answers at once; only then ask PostgreSQL itself
        with socket.create_connection((parts.hostname, parts.port or 5432), timeout=0.5):
            pass
        with psycopg.connect(default, connect_timeout=2):
            pass
    except (OSError, psycopg.Error):
        return None
    return default


POSTGRES_URL = postgres_url()
POSTGRES_SKIP = (
    "the PostgreSQL tests are turned off (ORDERDESK_TEST_POSTGRES_URL is empty)"
    if os.environ.get("ORDERDESK_TEST_POSTGRES_URL") == ""
    else f"no PostgreSQL answers at {DEFAULT_POSTGRES_URL}: set ORDERDESK_TEST_POSTGRES_URL "
    "to run the PostgreSQL tests"
)


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """Yield (url, fresh schema name); drop the schema afterwards.

    Skips when :func:`postgres_url` finds no server; with ORDERDESK_TEST_POSTGRES_URL set,
    an unreachable server fails the test.
    """
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    schema = f"test_{uuid.uuid4().hex[:16]}"
    yield POSTGRES_URL, schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
