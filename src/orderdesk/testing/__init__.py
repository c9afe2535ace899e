"""orderdesk's shipped test kit: factories, hypothesis strategies and contract suites.

Needs the ``test`` extra (pytest, hypothesis). Import the pieces from their modules, so
that importing a factory does not import every store and venue:
:mod:`orderdesk.testing.factories` (domain objects), :mod:`orderdesk.testing.ledger_kit`
(objects recorded in a Ledger), :mod:`orderdesk.testing.strategies`,
:mod:`orderdesk.testing.store_contract`, :mod:`orderdesk.testing.connector_contract`,
:mod:`orderdesk.testing.assertions`, :mod:`orderdesk.testing.paper_desk`,
:mod:`orderdesk.testing.race_venue` (resolvers racing on a faulty venue) and
:mod:`orderdesk.testing.virtual_time` (simulated time for concurrent tasks).
"""
