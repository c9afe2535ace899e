"""LoopbackConnector passes the Connector contract, refused cancels included, against a
loopback server over HTTP."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path

from orderdesk.testing.connector_contract import RefusedCancelContract, RefusingVenueHarness
from orderdesk.testing.loopback import LoopbackHarness, LoopbackLevers, quiet_config
from orderdesk.venues.loopback import Secret, serve
from orderdesk.venues.loopback.client import LoopbackConnector
from orderdesk.venues.paper import Faults

KEY, SECRET, ADMIN = "contract-key", "contract-secret", "contract-admin"


@asynccontextmanager
async def loopback_harness(faults: Faults | None = None) -> AsyncIterator[LoopbackHarness]:
    with tempfile.TemporaryDirectory() as directory:
        config = quiet_config(KEY, SECRET, ADMIN, faults)
        with serve(config, Path(directory) / "venue.db").start() as server:
            connector = LoopbackConnector(
                server.url, Secret(KEY), Secret(SECRET), poll=timedelta(milliseconds=20)
            )
            levers = LoopbackLevers(server.url, Secret(ADMIN))
            yield LoopbackHarness(connector, levers, server=server)


class TestLoopbackConnector(RefusedCancelContract):
    def open_harness(
        self, faults: Faults | None = None
    ) -> AbstractAsyncContextManager[RefusingVenueHarness]:
        return loopback_harness(faults)
