"""orderdesk's shipped test kit: contract suites every implementation of a port passes."""

from orderdesk.testing.connector_contract import ConnectorContract, VenueHarness
from orderdesk.testing.paper import PaperHarness, paper_harness

__all__ = ["ConnectorContract", "PaperHarness", "VenueHarness", "paper_harness"]
