"""Journal.latest: the ledger's most recent entry, found in a logarithmic number of reads."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from orderdesk.ledger import Journal
from orderdesk.ledger.stores import open_store
from orderdesk.model.records import JournalEntry, JournalKind, NewEntry
from orderdesk.ports import Store
from orderdesk.testing.ledger_kit import T0


class Counting:
    """A store that counts its journal reads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads = 0

    def journal(self, after: int = 0, limit: int = 1000) -> tuple[JournalEntry, ...]:
        self.reads += 1
        return self.store.journal(after, limit)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def _fill(store: Store, count: int) -> None:
    with store.transaction() as tx:
        for n in range(count):
            tx.append(
                NewEntry(
                    T0, JournalKind.PLAN_RECORDED, f"acct-{n}", None, None, None, None, None, {}
                )
            )


COUNTS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 100, 1023, 1024, 1025, 3000]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("count", COUNTS)
def test_latest_is_the_last_entry_in_few_reads(kind: str, count: int, tmp_path: Path) -> None:
    url = "memory://" if kind == "memory" else str(tmp_path / "ledger.db")
    _check(open_store(url), count)


@pytest.mark.postgres
@pytest.mark.parametrize("count", [0, 1, 5, 1025])
def test_latest_on_postgres(count: int, pg_schema: tuple[str, str]) -> None:
    from orderdesk.ledger.stores.postgres import PostgresStore  # noqa: PLC0415

    url, schema = pg_schema
    store = PostgresStore(url, schema=schema)
    try:
        _check(store, count)
    finally:
        store.close()


def _check(store: Store, count: int) -> None:
    _fill(store, count)
    counting = Counting(store)
    latest = Journal(counting).latest()
    entries = list(Journal(store).entries())
    assert len(entries) == count
    if count == 0:
        assert latest is None
    else:
        assert latest == entries[-1]
        assert latest is not None
        assert latest.account == f"acct-{count - 1}"
    assert counting.reads <= 2 * math.log2(count + 1) + 3, counting.reads
