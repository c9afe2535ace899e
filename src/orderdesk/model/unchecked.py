"""A pydantic model made of values already checked, without running its validators: for a
value orderdesk builds from fields that were validated where they entered (a stored row, a
venue's fill, an order's own fields), on paths where validating again is most of the cost.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["unchecked"]

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__


def unchecked(model: type[M], fields: dict[str, Any], fields_set: Set[str]) -> M:
    """Return an instance of ``model`` holding ``fields`` (every field, in the model's
    order) as they are, with ``fields_set`` as its set fields. Never for outside input."""
    value = model.__new__(model)
    _set(value, "__dict__", fields)
    _set(value, "__pydantic_fields_set__", fields_set)
    _set(value, "__pydantic_extra__", None)
    _set(value, "__pydantic_private__", None)
    return value
