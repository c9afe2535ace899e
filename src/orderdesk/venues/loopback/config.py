"""What the loopback server serves: markets, accounts with their keys, the synthetic feed."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from orderdesk.model import Market
from orderdesk.model.decimals import parse_positive
from orderdesk.model.timestamps import require_utc
from orderdesk.venues.paper import Faults

__all__ = ["LoopbackAccount", "LoopbackConfig", "Secret", "load_config"]


class Secret:
    """A credential that never shows itself in a repr, a log line or an exception."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("a secret cannot be empty")
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself, for signing only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class LoopbackAccount:
    """One account: its keys, deposits, fee tier and faults."""

    name: str
    api_key: Secret
    secret: Secret
    deposits: Mapping[str, Decimal]
    tier: str | None = None
    faults: Faults = field(default_factory=Faults)


@dataclass(frozen=True)
class LoopbackConfig:
    """Everything that defines the served venue; its fingerprint guards the state file."""

    markets: tuple[Market, ...]
    accounts: tuple[LoopbackAccount, ...]
    mids: Mapping[str, Decimal]
    seed: int = 0
    feed_interval_ms: int = 100
    spread_ticks: int = 2
    levels: int = 5
    level_steps: tuple[int, int] = (1, 100)
    admin_token: Secret | None = None

    def fingerprint(self) -> str:
        """Return what must not change between runs on one state file (no secrets in it)."""
        return json.dumps(
            {
                "markets": [
                    [
                        m.symbol,
                        m.base_asset,
                        m.quote_asset,
                        str(m.tick_size),
                        str(m.step_size),
                        str(m.min_quantity),
                        str(m.min_notional),
                    ]
                    for m in self.markets
                ],
                "accounts": [
                    [a.name, {k: str(v) for k, v in sorted(a.deposits.items())}, a.tier]
                    for a in self.accounts
                ],
                "mids": {k: str(v) for k, v in sorted(self.mids.items())},
                "seed": self.seed,
                "feed": [self.feed_interval_ms, self.spread_ticks, self.levels, self.level_steps],
            },
            sort_keys=True,
        )


def _secret(raw: str) -> Secret:
    # "env:NAME" reads the value from the environment, so keys need not sit in the file.
    if raw.startswith("env:"):
        name = raw[4:]
        if not os.environ.get(name):
            raise ValueError(f"{raw!r} names the environment variable {name}, which is not set")
        return Secret(os.environ[name])
    return Secret(raw)


def _faults(raw: Mapping[str, Any]) -> Faults:
    durations = {"not_found_lag", "reorder_window", "rate_window", "ban_duration"}
    # Durations are given in milliseconds.
    values: dict[str, Any] = {
        k: timedelta(milliseconds=v) if k in durations else v for k, v in raw.items()
    }
    if "outages" in values:  # [[start, end], ...] as ISO 8601 with an offset
        values["outages"] = tuple(
            (require_utc(datetime.fromisoformat(a)), require_utc(datetime.fromisoformat(b)))
            for a, b in values["outages"]
        )
    return Faults(**values)


def load_config(source: str | Path | Mapping[str, Any]) -> LoopbackConfig:
    """Read a config from a JSON file or an already-parsed mapping.

    Shape: ``{"seed", "markets": [{symbol, base_asset, quote_asset, tick_size, step_size,
    min_quantity, min_notional}], "mids": {symbol: price}, "accounts": [{name, api_key,
    secret, deposits: {asset: amount}, tier?, faults?}], "admin_token"?, "feed_interval_ms"?,
    "spread_ticks"?, "levels"?, "level_steps"?: [min, max]}``; fault durations in milliseconds,
    ``outages`` as ``[[start, end], ...]`` in ISO 8601; ``feed_interval_ms`` 0 turns
    the synthetic feed off (the market then moves only by the test levers); decimals as
    strings; a key or secret written ``env:NAME`` is read from the environment.
    """
    raw: Mapping[str, Any]
    raw = json.loads(Path(source).read_text()) if isinstance(source, str | Path) else source
    markets = tuple(
        Market(
            symbol=m["symbol"],
            base_asset=m["base_asset"],
            quote_asset=m["quote_asset"],
            tick_size=parse_positive(m["tick_size"]),
            step_size=parse_positive(m["step_size"]),
            min_quantity=parse_positive(m["min_quantity"]),
            min_notional=Decimal(m["min_notional"]),
        )
        for m in raw["markets"]
    )
    accounts = tuple(
        LoopbackAccount(
            name=a["name"],
            api_key=_secret(a["api_key"]),
            secret=_secret(a["secret"]),
            deposits={k: Decimal(v) for k, v in a["deposits"].items()},
            tier=a.get("tier"),
            faults=_faults(a.get("faults", {})),
        )
        for a in raw["accounts"]
    )
    token = raw.get("admin_token")
    steps = raw.get("level_steps", (1, 100))
    return LoopbackConfig(
        markets=markets,
        accounts=accounts,
        mids={k: parse_positive(v) for k, v in raw["mids"].items()},
        seed=int(raw.get("seed", 0)),
        feed_interval_ms=int(raw.get("feed_interval_ms", 100)),
        spread_ticks=int(raw.get("spread_ticks", 2)),
        levels=int(raw.get("levels", 5)),
        level_steps=(int(steps[0]), int(steps[1])),
        admin_token=None if token is None else _secret(token),
    )
