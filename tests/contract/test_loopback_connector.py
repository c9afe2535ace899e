"""LoopbackConnector passes the Connector contract against a loopback server over HTTP."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path

from orderdesk.testing.connector_contract import ConnectorContract, VenueHarness
from orderdesk.testing.loopback import LoopbackHarness, LoopbackLevers, quiet_config
from orderdesk.venues.loopback import Secret, serve
from orderdesk.venues.loopback.client import LoopbackConnector

KEY, SECRET, ADMIN = "contract-key", "contract-secret", "contract-admin"


@asynccontextmanager
async def loopback_harness() -> AsyncIterator[LoopbackHarness]:
    with tempfile.TemporaryDirectory() as directory:
        config = quiet_config(KEY, SECRET, ADMIN)
        with serve(config, Path(directory) / "venue.db").start() as server:
            connector = LoopbackConnector(
                server.url, Secret(KEY), Secret(SECRET), poll=timedelta(milliseconds=20)
            )
            yield LoopbackHarness(connector, LoopbackLevers(server.url, Secret(ADMIN)))


class TestLoopbackConnector(ConnectorContract):
    def open_harness(self) -> AbstractAsyncContextManager[VenueHarness]:
        return loopback_harness()
