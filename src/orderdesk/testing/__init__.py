"""orderdesk's shipped test kit: factories, hypothesis strategies and port contract suites.

Needs the ``test`` extra (pytest, hypothesis). Import the pieces from their modules:
:mod:`orderdesk.testing.factories`, :mod:`orderdesk.testing.strategies`,
:mod:`orderdesk.testing.store_contract`, :mod:`orderdesk.testing.assertions`.
"""
