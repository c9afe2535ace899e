"""orderdesk's shipped test kit: contract suites every implementation of a port passes."""

from orderdesk.testing.connector_contract import ConnectorContract, VenueHarness
from orderdesk.testing.loopback import LoopbackHarness, LoopbackLevers, quiet_config
from orderdesk.testing.paper import PaperHarness, paper_harness

__all__ = [
    "ConnectorContract",
    "LoopbackHarness",
    "LoopbackLevers",
    "PaperHarness",
    "VenueHarness",
    "paper_harness",
    "quiet_config",
]
