"""Aware UTC datetimes: naive ones are refused, others converted to UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, PlainSerializer

__all__ = ["AwareTime", "UtcDatetime", "iso_utc", "require_utc"]


def require_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; raise ``ValueError`` if it carries no timezone."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()!r} is naive; give a timezone-aware UTC datetime")
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Format a UTC datetime as ISO 8601 with a ``Z`` suffix (``2025-12-01T15:00:00Z``)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


UtcDatetime = Annotated[
    datetime,
    AfterValidator(require_utc),
    PlainSerializer(iso_utc, return_type=str, when_used="json"),
]
"""A timezone-aware datetime held in UTC; JSON as ``...Z``."""

AwareTime = Annotated[
    AwareDatetime,
    PlainSerializer(iso_utc, return_type=str, when_used="json"),
]
"""A timezone-aware datetime, checked in pydantic's core; the owning model converts it to UTC
in its own validator (one Python call per model instead of one per field)."""
