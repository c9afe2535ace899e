"""The reads every SQL store shares: one SQL text and one decoding per read (and the SQL of
the common writes).

A store's reads class subclasses :class:`SqlReads` and gives its codec (``SQLITE_CODEC``,
``POSTGRES_CODEC``), its driver's parameter mark (the SQL below is written with ``?``), how
it passes a list of statuses, and how it runs a statement (``_one``, ``_all``) with its
driver's errors translated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Final

from orderdesk.ledger.stores.columns import FILL_COLUMNS, ORDER_COLUMNS, Codec, execution_where
from orderdesk.ledger.stores.paging import decode_cursor, encode_cursor
from orderdesk.model.enums import Side
from orderdesk.model.fill import Fill
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import JournalEntry, JournalKind, OrderRecord
from orderdesk.ports import OrderPage, OrderQuery

__all__ = ["FILL_SELECT", "JOURNAL_COLUMNS", "ORDER_SELECT", "SqlReads"]

ORDER_SELECT: Final = f"SELECT {', '.join(ORDER_COLUMNS)} FROM orders"
FILL_SELECT: Final = f"SELECT {', '.join(FILL_COLUMNS)} FROM fills"
JOURNAL_COLUMNS: Final = (
    "seq, at, kind, account, order_id, group_id, plan_id, causation_id, correlation_id, payload"
)

# Written with "?" marks; each store's class gets them in its own mark.
_STATEMENTS: Final = {
    "order_insert": (
        f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(ORDER_COLUMNS))})"
    ),
    "order_update": (
        f"UPDATE orders SET {', '.join(f'{c} = ?' for c in ORDER_COLUMNS[1:])} "
        "WHERE order_id = ? AND version = ?"
    ),
    "fill_insert": (
        f"INSERT INTO fills ({', '.join(FILL_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(FILL_COLUMNS))})"
    ),
    "order": f"{ORDER_SELECT} WHERE order_id = ? AND account = ?",
    "plan": "SELECT body FROM plans WHERE plan_id = ? AND account = ?",
    "group": "SELECT body FROM groups WHERE group_id = ? AND account = ?",
    "fill_by_trade": (
        f"{FILL_SELECT} WHERE account = ? AND venue = ? AND symbol = ? AND trade_id = ? "
        "AND side = ?"
    ),
    "by_client_id": f"{ORDER_SELECT} WHERE venue = ? AND client_order_id = ? AND account = ?",
    "by_venue_id": f"{ORDER_SELECT} WHERE venue = ? AND connector_order_id = ? AND account = ?",
    "fills": (
        f"{FILL_SELECT} WHERE order_id = ? AND EXISTS "
        "(SELECT 1 FROM orders WHERE orders.order_id = ? AND orders.account = ?) ORDER BY seq"
    ),
    "journal": f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
    "journal_of_order": (
        f"SELECT {JOURNAL_COLUMNS} FROM journal WHERE order_id = ? AND account = ? ORDER BY seq"
    ),
    "page_after": "(created_at, order_id) > (?, ?)",
    "page_end": " ORDER BY created_at, order_id LIMIT ?",
}


class SqlReads:
    """The reads shared by a SQL store and its transactions."""

    codec: ClassVar[Codec]
    mark: ClassVar[str] = "?"
    status_list: ClassVar[bool] = False  # statuses as one list parameter (= ANY), not IN
    _sql: ClassVar[dict[str, str]] = _STATEMENTS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._sql = {name: text.replace("?", cls.mark) for name, text in _STATEMENTS.items()}

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        """Run a read and return its first row, or ``None``."""
        raise NotImplementedError

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Run a read and return its rows."""
        raise NotImplementedError

    def _where(
        self,
        account: str,
        query: OrderQuery,
        submitted_from: datetime | None = None,
        submitted_until: datetime | None = None,
    ) -> tuple[str, list[Any]]:
        """The WHERE clause of the account's orders matching ``query`` (and submitted in
        ``[submitted_from, submitted_until)``), in this driver's marks."""
        return execution_where(
            account,
            query,
            submitted_from,
            submitted_until,
            mark=self.mark,
            time=self.codec.time,
            status_list=self.status_list,
        )

    def _entry(self, row: Sequence[Any]) -> JournalEntry:
        return JournalEntry(
            seq=row[0],
            at=self.codec.time_in(row[1]),
            kind=JournalKind(row[2]),
            account=row[3],
            order_id=row[4],
            group_id=row[5],
            plan_id=row[6],
            causation_id=row[7],
            correlation_id=row[8],
            payload=json.loads(row[9]),
        )

    def get_order(self, account: str, order_id: str) -> OrderRecord | None:
        """Return the account's order, or ``None``."""
        row = self._one(self._sql["order"], (order_id, account))
        return None if row is None else self.codec.order_record(row)

    def get_plan(self, account: str, plan_id: str) -> TradePlan | None:
        """Return the account's trade plan, or ``None``."""
        row = self._one(self._sql["plan"], (plan_id, account))
        return None if row is None else TradePlan.model_validate_json(row[0])

    def get_group(self, account: str, group_id: str) -> ExecutionGroup | None:
        """Return the account's group (without its ``order_ids``), or ``None``."""
        row = self._one(self._sql["group"], (group_id, account))
        return None if row is None else ExecutionGroup.model_validate_json(row[0])

    def fill_by_trade(
        self, account: str, venue: str, symbol: str, side: Side, trade_id: str
    ) -> Fill | None:
        """Return the account's fill recorded for this side of a venue trade, whatever its
        order."""
        row = self._one(self._sql["fill_by_trade"], (account, venue, symbol, trade_id, side.value))
        return None if row is None else self.codec.fill(row)

    def find_by_client_order_id(
        self, account: str, venue: str, client_order_id: str
    ) -> OrderRecord | None:
        """Return the account's order sent to ``venue`` under this client order id."""
        row = self._one(self._sql["by_client_id"], (venue, client_order_id, account))
        return None if row is None else self.codec.order_record(row)

    def find_by_venue_order_id(
        self, account: str, venue: str, venue_order_id: str
    ) -> OrderRecord | None:
        """Return the account's order that ``venue`` knows by this id."""
        row = self._one(self._sql["by_venue_id"], (venue, venue_order_id, account))
        return None if row is None else self.codec.order_record(row)

    def load(
        self, account: str, query: OrderQuery, cursor: str | None = None, limit: int = 1000
    ) -> OrderPage:
        """Return up to ``limit`` of the account's orders matching ``query``, oldest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if query.statuses is not None and not query.statuses:
            return OrderPage((), None)
        where, params = self._where(account, query)
        if cursor is not None:
            created_at, order_id = decode_cursor(cursor)
            where = f"{where} AND {self._sql['page_after']}"
            params.extend((self.codec.time(created_at), order_id))
        params.append(limit + 1)
        rows = self._all(f"{ORDER_SELECT} WHERE {where}{self._sql['page_end']}", params)
        records = tuple(self.codec.order_record(row, validate=False) for row in rows[:limit])
        more = len(rows) > limit
        return OrderPage(records, encode_cursor(records[-1].order) if more else None)

    def fills(self, account: str, order_id: str) -> tuple[Fill, ...]:
        """Return the account's order's fills in the order they were recorded."""
        rows = self._all(self._sql["fills"], (order_id, order_id, account))
        return tuple(self.codec.fill(row) for row in rows)

    def journal(self, after: int = 0, limit: int = 1000) -> tuple[JournalEntry, ...]:
        """Return up to ``limit`` journal entries with ``seq > after``, in order."""
        return tuple(self._entry(row) for row in self._all(self._sql["journal"], (after, limit)))

    def journal_of_order(self, account: str, order_id: str) -> tuple[JournalEntry, ...]:
        """Return the account's order's journal entries, in order."""
        rows = self._all(self._sql["journal_of_order"], (order_id, account))
        return tuple(self._entry(row) for row in rows)
