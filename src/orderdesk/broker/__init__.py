"""The Broker: submit, cancel, query and load orders through any Connector, never losing or
duplicating one; retries, in-doubt resolution and reconciliation."""

from orderdesk.broker.core import AsyncBroker, ConnectorFactory, OrderUpdate
from orderdesk.broker.retry import RetryPolicy
from orderdesk.broker.settings import BrokerSettings
from orderdesk.broker.sync import Broker

__all__ = [
    "AsyncBroker",
    "Broker",
    "BrokerSettings",
    "ConnectorFactory",
    "OrderUpdate",
    "RetryPolicy",
]
