"""Which PostgreSQL server the tests use: the variable's, the default local one, or none."""

from __future__ import annotations

import socket

from tests.conftest import DEFAULT_POSTGRES_URL, postgres_url


def test_the_variable_names_the_server_without_a_probe() -> None:
    environ = {"ORDERDESK_TEST_POSTGRES_URL": "postgresql://ci@db.invalid:5432/test"}
    # Named explicitly, it is used as given: an unreachable one fails the tests, not skips.
    assert postgres_url(environ, default="postgresql://x@127.0.0.1:1/none") == (
        "postgresql://ci@db.invalid:5432/test"
    )


def test_an_empty_variable_turns_the_tests_off() -> None:
    assert postgres_url({"ORDERDESK_TEST_POSTGRES_URL": ""}) is None


def test_unset_and_nothing_answering_skips() -> None:
    with socket.socket() as unused:  # a port no server listens on: bound, never listening
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        assert postgres_url({}, default=f"postgresql://postgres@127.0.0.1:{port}/test") is None


def test_the_default_is_the_local_test_database() -> None:
    assert DEFAULT_POSTGRES_URL == "postgresql://postgres@127.0.0.1:5432/test"
