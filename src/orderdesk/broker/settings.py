"""Who is calling: the account and, where the connector needs them, its venue credentials."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from orderdesk.model.plans import ACCOUNT

__all__ = ["BrokerSettings", "parse_settings"]


class BrokerSettings(BaseModel):
    """The settings ``broker.settings(**params)`` accepts. Credentials never print."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str = Field(pattern=ACCOUNT)
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    passphrase: SecretStr | None = None


def parse_settings(params: dict[str, Any]) -> BrokerSettings:
    """Validate ``params``; an unknown key or a bad value is a ``ValueError`` that says which."""
    known = sorted(BrokerSettings.model_fields)
    unknown = sorted(set(params) - set(known))
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(f"unknown setting {', '.join(hints)}; known: {', '.join(known)}")
    try:
        return BrokerSettings(**params)
    except ValidationError as error:
        # Never echo a credential back: name the field, not the value.
        fields = ", ".join(str(e["loc"][0]) for e in error.errors())
        raise ValueError(f"invalid setting {fields}: {error.errors()[0]['msg']}") from None
