"""Journal payloads: what each entry kind carries, written and read back exactly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.model.decimals import decimal_text, parse_positive
from orderdesk.model.events import Acked, Cancelled, Expired, Filled, OrderEvent, Rejected
from orderdesk.model.fill import Fill
from orderdesk.model.lifecycle import Transition
from orderdesk.model.order import Order
from orderdesk.model.plans import ExecutionGroup, TradePlan
from orderdesk.model.records import JournalKind, OrderRecord, SubmitState
from orderdesk.model.timestamps import iso_utc, require_utc

__all__ = [
    "EVENT_KINDS",
    "encode_alarm",
    "decode_event",
    "decode_order",
    "decode_submit_state",
    "decode_time",
    "encode_cancel_request",
    "encode_event",
    "encode_group",
    "encode_order",
    "encode_plan",
    "encode_submit_state",
    "fill_json",
    "order_json",
    "time_text",
]

Payload = dict[str, Any]
ReadPayload = Mapping[str, Any]

EVENT_KINDS = {
    Acked: JournalKind.ACKED,
    Filled: JournalKind.FILLED,
    Cancelled: JournalKind.CANCELLED,
    Expired: JournalKind.EXPIRED,
    Rejected: JournalKind.REJECTED,
}


def time_text(at: datetime) -> str:
    """Return ``at`` as ISO 8601 UTC text with a ``Z``."""
    return iso_utc(require_utc(at))


def _time(text: str) -> datetime:
    return require_utc(datetime.fromisoformat(text))


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def order_json(order: Order) -> Payload:
    """Return ``order.model_dump(mode="json")``, field for field, built directly (the
    journal writes one per order; the model's serializer costs several times this)."""
    d = order.__dict__
    expire_at = d["expire_at"]
    return {
        "order_id": d["order_id"],
        "parent_group_id": d["parent_group_id"],
        "connector_order_id": d["connector_order_id"],
        "symbol": d["symbol"],
        "side": d["side"]._value_,
        "order_type": d["order_type"]._value_,
        "quantity": format(d["quantity"], "f"),
        "price": _decimal(d["price"]),
        "stop_price": _decimal(d["stop_price"]),
        "status": d["status"]._value_,
        "created_at": iso_utc(d["created_at"]),
        "updated_at": iso_utc(d["updated_at"]),
        "time_in_force": d["time_in_force"]._value_,
        "expire_at": None if expire_at is None else iso_utc(expire_at),
    }


def fill_json(fill: Fill) -> Payload:
    """Return ``fill.model_dump(mode="json")``, field for field, built directly."""
    d = fill.__dict__
    liquidity = d["liquidity"]
    return {
        "fill_id": d["fill_id"],
        "order_id": d["order_id"],
        "trade_id": d["trade_id"],
        "quantity": format(d["quantity"], "f"),
        "price": format(d["price"], "f"),
        "fee": format(d["fee"], "f"),
        "fee_asset": d["fee_asset"],
        "liquidity": None if liquidity is None else liquidity._value_,
        "executed_at": iso_utc(d["executed_at"]),
    }


def encode_plan(plan: TradePlan) -> Payload:
    """Return the payload of a plan_recorded entry."""
    return {"plan": plan.model_dump(mode="json")}


def encode_group(group: ExecutionGroup) -> Payload:
    """Return the payload of a group_recorded entry (its orders are their own entries):
    ``group.model_dump(mode="json", exclude={"order_ids"})``, built directly."""
    d = group.__dict__
    decision = d["decision_price"]
    return {
        "group": {
            "group_id": d["group_id"],
            "plan_id": d["plan_id"],
            "account": d["account"],
            "strategy": d["strategy"],
            "symbol": d["symbol"],
            "side": d["side"]._value_,
            "decision_price": None if decision is None else format(decision, "f"),
            "reason": d["reason"],
            "created_at": iso_utc(d["created_at"]),
        }
    }


def encode_order(record: OrderRecord) -> Payload:
    """Return the payload of an order_recorded entry."""
    arrival = record.arrival_price
    return {
        "order": order_json(record.order),
        "venue": record.venue,
        "client_order_id": record.client_order_id,
        "plan_id": record.plan_id,
        "arrival_price": None if arrival is None else decimal_text(arrival),
    }


def decode_order(payload: ReadPayload) -> tuple[Order, str, str, str | None, Decimal | None]:
    """Return (order, venue, client order id, plan id, arrival price) of an order entry."""
    arrival = payload["arrival_price"]
    return (
        Order.model_validate(payload["order"]),
        payload["venue"],
        payload["client_order_id"],
        payload["plan_id"],
        None if arrival is None else parse_positive(arrival),
    )


def encode_event(event: OrderEvent, transition: Transition) -> Payload:
    """Return the payload of an event entry, with the outcome the lifecycle decided."""
    payload: Payload
    if isinstance(event, Filled):
        payload = {"fill": fill_json(event.fill)}
    elif isinstance(event, Acked):
        payload = {"at": time_text(event.at), "connector_order_id": event.connector_order_id}
    elif isinstance(event, Rejected):
        payload = {"at": time_text(event.at), "reason": event.reason, "code": event.code}
    elif isinstance(event, Cancelled) and event.code is not None:
        payload = {"at": time_text(event.at), "code": event.code}
    else:
        payload = {"at": time_text(event.at)}
    payload["outcome"] = {
        "kind": transition.kind._value_,
        "before": transition.before._value_,
        "after": transition.after._value_,
        "duplicate": transition.duplicate,
    }
    return payload


def encode_alarm(event: OrderEvent, alarm: Exception) -> Payload:
    """Return the payload of an alarm entry: the report refused and why, for a person."""
    payload: Payload = {
        "alarm": type(alarm).__name__,
        "message": str(alarm),
        "event": EVENT_KINDS[type(event)].value,
    }
    if isinstance(event, Filled):
        payload["fill"] = fill_json(event.fill)
    elif isinstance(event, Acked):
        payload["connector_order_id"] = event.connector_order_id
    return payload


def decode_event(kind: JournalKind, payload: ReadPayload) -> OrderEvent:
    """Return the event an event entry recorded."""
    if kind is JournalKind.FILLED:
        return Filled(Fill.model_validate(payload["fill"]))
    at = _time(payload["at"])
    if kind is JournalKind.ACKED:
        return Acked(at, payload["connector_order_id"])
    if kind is JournalKind.REJECTED:
        return Rejected(at, payload["reason"], payload["code"])
    if kind is JournalKind.CANCELLED:
        return Cancelled(at, payload.get("code"))
    if kind is JournalKind.EXPIRED:
        return Expired(at)
    raise ValueError(f"{kind.value} is not an event entry")


def encode_submit_state(state: SubmitState, at: datetime) -> Payload:
    """Return the payload of a submit_state entry."""
    return {"state": state._value_, "at": time_text(at)}


def decode_submit_state(payload: ReadPayload) -> tuple[SubmitState, datetime]:
    """Return the (state, time) of a submit_state entry."""
    return SubmitState(payload["state"]), _time(payload["at"])


def encode_cancel_request(at: datetime) -> Payload:
    """Return the payload of a cancel_requested entry."""
    return {"at": time_text(at)}


def decode_time(payload: ReadPayload) -> datetime:
    """Return the ``at`` of an entry's payload."""
    return _time(payload["at"])
