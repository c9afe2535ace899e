"""The Ledger (the only writer of orders and fills) and the Journal (why, and what happened).

Concrete stores live in :mod:`orderdesk.ledger.stores`; this package never names them.
"""

from orderdesk.ledger.journal import Journal, OrderHistory, Trace, replay
from orderdesk.ledger.ledger import Applied, Ledger

__all__ = ["Applied", "Journal", "Ledger", "OrderHistory", "Trace", "replay"]
