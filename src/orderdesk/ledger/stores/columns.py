"""The row shape of orders and fills, shared by the SQL stores.

Each SQL store passes its own converters: SQLite keeps decimals as canonical text and times
as fixed-width ISO text (so text order is time order); PostgreSQL keeps NUMERIC and
TIMESTAMPTZ and needs only the UTC normalisation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from orderdesk.model.decimals import decimal_text
from orderdesk.model.enums import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from orderdesk.model.execution_totals import order_figures
from orderdesk.model.fill import Fill
from orderdesk.model.order import sealed
from orderdesk.model.records import OrderRecord, SubmitState
from orderdesk.ports import OrderQuery

__all__ = [
    "FILL_COLUMNS",
    "ORDER_COLUMNS",
    "Codec",
    "POSTGRES_CODEC",
    "SQLITE_CODEC",
    "execution_where",
    "payload_text",
]

# One encoder for every payload: json.dumps with options builds a new one per call.
_PAYLOAD_JSON: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload_text(payload: Mapping[str, Any]) -> str:
    """Return a journal payload as every store keeps it: compact JSON, keys sorted."""
    return _PAYLOAD_JSON.encode(payload)


ORDER_COLUMNS = (
    "order_id",
    "account",
    "venue",
    "client_order_id",
    "group_id",
    "plan_id",
    "connector_order_id",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "price",
    "stop_price",
    "status",
    "created_at",
    "updated_at",
    "time_in_force",
    "expire_at",
    "submit_state",
    "cancel_requested_at",
    "version",
    "filled_quantity",
    "notional",
    "fill_count",
    "arrival_price",
    "sent_at",
    "acked_at",
    "first_fill_at",
    "completed_at",
    "last_fill_at",
    # Schema 4: figures for statistics, derived from the columns above when the row is
    # written (see orderdesk.model.execution_totals); never read back into a record.
    "slippage_units",
    "slipped_notional",
    "fill_time_us",
)

FILL_COLUMNS = (
    "fill_id",
    "order_id",
    "venue",
    "symbol",
    "trade_id",
    "quantity",
    "price",
    "fee",
    "fee_asset",
    "liquidity",
    "executed_at",
    "side",  # schema 5: the side of the filled order; a trade's fill is unique per side
    "account",  # schema 6: the account of the filled order; a fill's identity is per account
)


# Lookups by value: a dict is several times cheaper than calling the enum.
_SIDES: Final = {member.value: member for member in Side}
_TYPES: Final = {member.value: member for member in OrderType}
_STATUSES: Final = {member.value: member for member in OrderStatus}
_TIFS: Final = {member.value: member for member in TimeInForce}
_SUBMIT_STATES: Final = {member.value: member for member in SubmitState}


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _time_text(value: datetime) -> str:
    # Fixed width (always microseconds, always +00:00): text order is time order.
    return _utc(value).isoformat(timespec="microseconds")


def _identity(value: Any) -> Any:
    return value


class Codec:
    """Turn records into rows and back with one database's decimal and time converters."""

    __slots__ = ("_dec_in", "_dec_out", "_time_in", "_time_out")

    def __init__(
        self,
        dec_out: Callable[[Decimal], Any],
        dec_in: Callable[[Any], Decimal],
        time_out: Callable[[datetime], Any],
        time_in: Callable[[Any], datetime],
    ) -> None:
        self._dec_out = dec_out
        self._dec_in = dec_in
        self._time_out = time_out
        self._time_in = time_in

    def time(self, value: datetime) -> Any:
        """Return a time as the database stores it."""
        return self._time_out(value)

    def time_in(self, value: Any) -> datetime:
        """Return a time as the database gave it back."""
        return self._time_in(value)

    def order_row(self, record: OrderRecord) -> tuple[Any, ...]:
        """Return the values of ``ORDER_COLUMNS`` for ``record``."""
        order = record.order
        dec, time = self._dec_out, self._time_out
        return (
            order.order_id,
            record.account,
            record.venue,
            record.client_order_id,
            order.parent_group_id,
            record.plan_id,
            order.connector_order_id,
            order.symbol,
            order.side.value,
            order.order_type.value,
            dec(order.quantity),
            None if order.price is None else dec(order.price),
            None if order.stop_price is None else dec(order.stop_price),
            order.status.value,
            time(order.created_at),
            time(order.updated_at),
            order.time_in_force.value,
            None if order.expire_at is None else time(order.expire_at),
            record.submit_state.value,
            None if record.cancel_requested_at is None else time(record.cancel_requested_at),
            record.version,
            dec(record.filled_quantity),
            dec(record.notional),
            record.fill_count,
            None if record.arrival_price is None else dec(record.arrival_price),
            None if record.sent_at is None else time(record.sent_at),
            None if record.acked_at is None else time(record.acked_at),
            None if record.first_fill_at is None else time(record.first_fill_at),
            None if record.completed_at is None else time(record.completed_at),
            None if record.last_fill_at is None else time(record.last_fill_at),
            *order_figures(record),
        )

    def order_record(self, row: Sequence[Any], *, validate: bool = True) -> OrderRecord:
        """Return the record of a row holding ``ORDER_COLUMNS`` in order.

        Rows read to be changed are validated again (a damaged row fails loudly before
        anything is written). ``validate=False`` is for bulk reads (``load``): the rows
        were validated when written, and validation is most of the cost of a large page.
        """
        dec, time = self._dec_in, self._time_in
        fields = {
            "order_id": row[0],
            "parent_group_id": row[4],
            "connector_order_id": row[6],
            "symbol": row[7],
            "side": _SIDES[row[8]],
            "order_type": _TYPES[row[9]],
            "quantity": dec(row[10]),
            "price": None if row[11] is None else dec(row[11]),
            "stop_price": None if row[12] is None else dec(row[12]),
            "status": _STATUSES[row[13]],
            "created_at": time(row[14]),
            "updated_at": time(row[15]),
            "time_in_force": _TIFS[row[16]],
            "expire_at": None if row[17] is None else time(row[17]),
        }
        order = sealed(fields, validate=validate)
        return OrderRecord(
            order=order,
            account=row[1],
            venue=row[2],
            client_order_id=row[3],
            plan_id=row[5],
            submit_state=_SUBMIT_STATES[row[18]],
            cancel_requested_at=None if row[19] is None else time(row[19]),
            version=row[20],
            filled_quantity=dec(row[21]),
            notional=dec(row[22]),
            fill_count=row[23],
            arrival_price=None if row[24] is None else dec(row[24]),
            sent_at=None if row[25] is None else time(row[25]),
            acked_at=None if row[26] is None else time(row[26]),
            first_fill_at=None if row[27] is None else time(row[27]),
            completed_at=None if row[28] is None else time(row[28]),
            last_fill_at=None if row[29] is None else time(row[29]),
        )

    def fill_row(
        self, account: str, venue: str, symbol: str, side: Side, fill: Fill
    ) -> tuple[Any, ...]:
        """Return the values of ``FILL_COLUMNS`` for ``fill``."""
        dec = self._dec_out
        return (
            fill.fill_id,
            fill.order_id,
            venue,
            symbol,
            fill.trade_id,
            dec(fill.quantity),
            dec(fill.price),
            dec(fill.fee),
            fill.fee_asset,
            None if fill.liquidity is None else fill.liquidity.value,
            self._time_out(fill.executed_at),
            side.value,
            account,
        )

    def fill(self, row: Sequence[Any]) -> Fill:
        """Return the fill of a row holding ``FILL_COLUMNS`` in order."""
        dec = self._dec_in
        return Fill.model_validate(
            {
                "fill_id": row[0],
                "order_id": row[1],
                "trade_id": row[4],
                "quantity": dec(row[5]),
                "price": dec(row[6]),
                "fee": dec(row[7]),
                "fee_asset": row[8],
                "liquidity": None if row[9] is None else Liquidity(row[9]),
                "executed_at": self._time_in(row[10]),
            }
        )


SQLITE_CODEC = Codec(decimal_text, Decimal, _time_text, datetime.fromisoformat)
POSTGRES_CODEC = Codec(_identity, _identity, _utc, _utc)


def execution_where(
    account: str,
    query: OrderQuery,
    submitted_from: datetime | None,
    submitted_until: datetime | None,
    *,
    mark: str,
    time: Callable[[datetime], Any],
    status_list: bool,
) -> tuple[str, list[Any]]:
    """Return the WHERE clause and its parameters selecting the account's orders that match
    ``query`` and were submitted in ``[submitted_from, submitted_until)``.

    ``mark`` is the driver's parameter mark, ``time`` its time converter; ``status_list``
    passes the statuses as one list parameter (``= ANY``) rather than one mark each (``IN``).
    """
    clauses = [f"account = {mark}"]
    params: list[Any] = [account]
    if query.statuses is not None:
        statuses = sorted(status.value for status in query.statuses)
        if status_list:
            clauses.append(f"status = ANY({mark})")
            params.append(statuses)
        else:
            clauses.append(f"status IN ({', '.join([mark] * len(statuses))})")
            params.extend(statuses)
    for column, value in (("symbol", query.symbol), ("group_id", query.group_id)):
        if value is not None:
            clauses.append(f"{column} = {mark}")
            params.append(value)
    for clause, at in (
        ("created_at >= ", query.since),
        ("created_at < ", query.until),
        ("COALESCE(sent_at, created_at) >= ", submitted_from),
        ("COALESCE(sent_at, created_at) < ", submitted_until),
    ):
        if at is not None:
            clauses.append(clause + mark)
            params.append(time(at))
    return " AND ".join(clauses), params
