"""PaperConnector passes the Connector contract."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

from orderdesk.ports import Connector
from orderdesk.testing.connector_contract import ConnectorContract, VenueHarness
from orderdesk.testing.paper import paper_harness
from orderdesk.venues.paper import PaperConnector


class TestPaperConnector(ConnectorContract):
    def open_harness(self) -> AbstractAsyncContextManager[VenueHarness]:
        return paper_harness()


def test_paper_connector_is_a_connector() -> None:
    async def check() -> None:
        async with paper_harness() as harness:
            connector: Connector = harness.connector  # mypy checks the structure
            assert isinstance(connector, Connector)
            assert isinstance(harness.connector, PaperConnector)

    asyncio.run(check())
