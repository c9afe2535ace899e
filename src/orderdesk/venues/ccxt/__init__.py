"""Real exchanges through ccxt: :class:`CcxtConnector` implements the ``Connector`` port.

Needs the ``ccxt`` extra (``pip install 'orderdesk[ccxt]'``); importing :mod:`orderdesk`
does not import ccxt, only importing this package does. :data:`CCXT_ERRORS` is the one
table that translates ccxt's exceptions into orderdesk's; :class:`Credentials` holds an
account's keys as secret values.
"""

from orderdesk.venues.ccxt.connector import CcxtConnector
from orderdesk.venues.ccxt.errors import CCXT_ERRORS, Translation, translate, translation_of
from orderdesk.venues.ccxt.exchange import Credentials

__all__ = [
    "CCXT_ERRORS",
    "CcxtConnector",
    "Credentials",
    "Translation",
    "translate",
    "translation_of",
]
