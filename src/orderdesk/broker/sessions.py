"""Who is calling: the current account's session, and one Retrier per venue.

``settings(account=..., api_key=...)`` builds the connector that acts for the account and
makes it the current session. A venue keeps one Retrier (its retry budget and circuit
breaker) across every account that trades there, so that switching accounts never resets
what the broker has learnt about a failing venue.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orderdesk.broker.retry import Operation, Retrier, RetryPolicy, Sleep
from orderdesk.broker.settings import BrokerSettings, parse_settings
from orderdesk.errors import OrderdeskError
from orderdesk.model.client_ids import ClientIdCodec, codec_for
from orderdesk.model.venue import Market
from orderdesk.ports import Clock, Connector

__all__ = ["ConnectorFactory", "Session", "Sessions"]

ConnectorFactory = Callable[[BrokerSettings], Connector]
"""Build the connector that acts for one account's settings (its credentials)."""


@dataclass(slots=True)
class Session:
    """One account at one venue: its connector, the venue's Retrier, the venue's client id
    codec, and the venue's markets once loaded."""

    settings: BrokerSettings
    connector: Connector
    retrier: Retrier
    codec: ClientIdCodec
    markets: dict[str, Market] | None = None

    @property
    def account(self) -> str:
        """The account this session acts for."""
        return self.settings.account

    @property
    def venue(self) -> str:
        """The venue the session's connector reaches."""
        return self.connector.name

    async def load_markets(self) -> dict[str, Market]:
        """Return the venue's markets, asking the venue the first time only."""
        if self.markets is None:
            found = await self.retrier.call(Operation.QUERY, self.connector.markets)
            self.markets = dict(found)
        return self.markets


class Sessions:
    """The current session, and the Retrier of every venue the broker has traded on."""

    def __init__(
        self,
        connect: ConnectorFactory,
        *,
        clock: Clock,
        rng: random.Random,
        policy: RetryPolicy,
        sleep: Sleep,
    ) -> None:
        self._connect = connect
        self._clock = clock
        self._rng = rng
        self._policy = policy
        self._sleep = sleep
        self._current: Session | None = None
        self._retriers: dict[str, Retrier] = {}

    def settings(self, params: dict[str, Any]) -> Session:
        """Make the session ``params`` describe the current one, and return it."""
        settings = parse_settings(params)
        connector = self._connect(settings)
        venue = connector.name
        retrier = self._retriers.get(venue)
        if retrier is None:  # one retrier (budget and breaker) per venue, across accounts
            retrier = Retrier(venue, self._clock, self._rng, self._policy, self._sleep)
            self._retriers[venue] = retrier
        self._current = Session(settings, connector, retrier, codec_for(venue))
        return self._current

    def require(self) -> Session:
        """Return the current session; without one, say how to start it."""
        if self._current is None:
            raise OrderdeskError("no account: call broker.settings(account=...) first")
        return self._current

    def retrier(self, venue: str) -> Retrier:
        """Return the Retrier of ``venue``."""
        return self._retriers[venue]
