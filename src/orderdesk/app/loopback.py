"""The paper venue over HTTP: ``orderdesk venue serve`` and the connector that reaches it."""

from __future__ import annotations

from pydantic import SecretStr

from orderdesk.ports import Connector
from orderdesk.venues.loopback import LoopbackConnector, Secret
from orderdesk.venues.loopback import main as _serve

__all__ = ["LOOPBACK_URL", "loopback_connector", "serve_venue"]

LOOPBACK_URL = "http://127.0.0.1:8765"
"""Where ``orderdesk venue serve`` listens by default."""


def loopback_connector(url: str, api_key: SecretStr, api_secret: SecretStr) -> Connector:
    """Return the connector of the account keyed ``api_key`` at the served venue at ``url``."""
    return LoopbackConnector(
        url, Secret(api_key.get_secret_value()), Secret(api_secret.get_secret_value())
    )


def serve_venue(argv: list[str] | None = None) -> int:
    """Serve the paper venue as ``orderdesk venue serve`` with ``argv`` does, until
    interrupted; return the exit status (a refused option or config exits 2)."""
    return _serve(argv)
