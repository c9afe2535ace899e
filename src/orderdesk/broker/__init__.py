"""The Broker: submit, cancel, query and load orders through any Connector, never losing or
duplicating one; retries, in-doubt resolution and reconciliation."""
