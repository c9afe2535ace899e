"""orderdesk's shipped test kit: factories, hypothesis strategies and contract suites.

Contract suites are imported from their modules (``orderdesk.testing.connector_contract``)
so that importing a factory does not import every venue.
"""
