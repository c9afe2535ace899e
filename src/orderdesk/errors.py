"""Every exception orderdesk raises, in one tree.

::

    OrderdeskError
    ├── PreTradeRejected                the order breaks a venue filter or the balance:
    │                                   nothing was recorded or sent
    ├── LifecycleError                  an event does not fit the order's state
    │   ├── InvalidTransition           the (status, event) pair is illegal in the table
    │   └── IntegrityAlarm              the venue told us something impossible
    │       ├── Overfill                fills would exceed the order's quantity
    │       ├── FillConflict            same trade id, different quantity or price
    │       ├── AckConflict             a second ack names a different venue order id
    │       └── ContradictedRejection   the venue works or fills an order recorded REJECTED
    ├── StoreError                      the ledger's storage failed (PEP 249-shaped)
    │   ├── OperationalError            the database cannot do it now (I/O, locks, network)
    │   │   └── ConcurrentUpdate        another writer committed first: retry it all
    │   ├── IntegrityError              a write would break a unique key or a link
    │   ├── NotFound                    no such record in this account (also a LookupError)
    │   ├── LedgerMissing               no ledger where one was opened only to be read
    │   └── SchemaVersionError          the database is newer than this orderdesk, or
    │                                   older and not to be upgraded implicitly
    └── VenueError                      talking to a venue failed (not a venue's "no")
        ├── NotSent                     provably never reached the venue: safe to resend
        ├── CircuitOpen                 not sent: the venue's circuit breaker is open
        ├── RateLimited                 429: refused unprocessed; retry after retry_after
        ├── Banned                      418: kept calling after a 429; banned for retry_after
        └── OutcomeUnknown              sent, no usable answer (timeout, 5xx, lost reply):
                                        the order is IN_DOUBT; query, never resend blindly

Bad input (a float price, a naive datetime, a malformed id) is rejected by the models with
``pydantic.ValidationError``, which is a ``ValueError``: it is the caller's mistake, not a
broken contract inside orderdesk, and it names the field and the offending value. An order
that is well formed but breaks the venue's rules is a :class:`PreTradeRejected`.

Outcomes at a venue (a rejected order, an expired one) are *events*, never exceptions.
Transport failures are exceptions, classified by what they prove about the request: a
:class:`NotSent`, :class:`CircuitOpen`, :class:`RateLimited` or :class:`Banned` request
was never processed and changed nothing; an :class:`OutcomeUnknown` one may have been.

The command line turns them into exit codes: a pre-trade rejection is bad input (2), a
:class:`NotFound` order is 3, a ledger that cannot be opened (:class:`LedgerMissing`,
:class:`SchemaVersionError`, any other :class:`StoreError` on opening) is 4, a
:class:`VenueError` is 5 and an :class:`IntegrityAlarm` is 8.
"""

from __future__ import annotations

__all__ = [
    # the base
    "OrderdeskError",
    # input refused before anything was recorded or sent
    "PreTradeRejected",
    # lifecycle errors and integrity alarms
    "LifecycleError",
    "InvalidTransition",
    "IntegrityAlarm",
    "Overfill",
    "FillConflict",
    "AckConflict",
    "ContradictedRejection",
    # the ledger's storage
    "StoreError",
    "OperationalError",
    "ConcurrentUpdate",
    "IntegrityError",
    "NotFound",
    "LedgerMissing",
    "SchemaVersionError",
    # venues: never processed, then perhaps processed
    "VenueError",
    "NotSent",
    "CircuitOpen",
    "RateLimited",
    "Banned",
    "OutcomeUnknown",
]


class OrderdeskError(Exception):
    """Base of every error orderdesk raises on purpose."""


# --- Input: the order is well formed but may not be sent ---------------------------------


class PreTradeRejected(OrderdeskError):
    """The order breaks a venue filter or the available balance; nothing was recorded or sent.

    ``code`` is a :class:`~orderdesk.model.venue.RejectCode` value.
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")


# --- Lifecycle: an event that does not fit the order, and the alarms ---------------------


class LifecycleError(OrderdeskError):
    """An event cannot be applied to an order in its current state; nothing was changed."""


class InvalidTransition(LifecycleError):
    """The lifecycle table forbids this event in this status."""

    def __init__(self, order_id: str, status: str, event: str) -> None:
        self.order_id = order_id
        self.status = status
        self.event = event
        super().__init__(f"order {order_id}: event {event!r} is not allowed in status {status}")


class IntegrityAlarm(LifecycleError):
    """A venue report contradicts what is already recorded: a human must look."""


class Overfill(IntegrityAlarm):
    """A fill would take the filled quantity beyond the order's quantity."""

    def __init__(self, order_id: str, quantity: str, filled: str, fill_quantity: str) -> None:
        self.order_id = order_id
        super().__init__(
            f"order {order_id}: fill of {fill_quantity} on top of {filled} "
            f"exceeds the order quantity {quantity}"
        )


class FillConflict(IntegrityAlarm):
    """A fill repeats a known trade id with a different quantity or price."""

    def __init__(self, order_id: str, trade_id: str, known: str, reported: str) -> None:
        self.order_id = order_id
        self.trade_id = trade_id
        super().__init__(
            f"order {order_id}: trade {trade_id!r} was recorded as {known} "
            f"but is now reported as {reported}"
        )


class AckConflict(IntegrityAlarm):
    """An ack names a venue order id other than the one already recorded."""

    def __init__(self, order_id: str, known: str, reported: str) -> None:
        self.order_id = order_id
        super().__init__(
            f"order {order_id}: acked as venue order {known!r}, now reported as {reported!r}"
        )


class ContradictedRejection(IntegrityAlarm):
    """The venue reports working or filling an order the ledger holds REJECTED.

    The lifecycle table keeps REJECTED final: the venue's earlier "no" and its later "yes"
    cannot both be right, so a person must look. The report is journaled with the alarm
    (a fill with its figures), so nothing the venue said is lost.
    """

    def __init__(self, order_id: str, reported: str) -> None:
        self.order_id = order_id
        super().__init__(f"order {order_id}: recorded REJECTED, but the venue reports {reported}")


# --- Storage: drivers' errors are translated into these once, in the stores --------------


class StoreError(OrderdeskError):
    """The ledger's storage failed; the driver's own error is the ``__cause__``."""


class OperationalError(StoreError):
    """The database could not carry out the work now (I/O, a lock, a lost connection)."""


class ConcurrentUpdate(OperationalError):
    """Another writer changed the row first, or the database aborted a serialization race.

    The whole transaction was rolled back; retrying it from the start is safe.
    """


class IntegrityError(StoreError):
    """A write would break a unique key or a link (a second client order id, say)."""


class NotFound(StoreError, LookupError):
    """No such record in this account; another account's records are never visible."""


class LedgerMissing(StoreError):
    """There is no ledger where a store was opened only to read one (``create=False``): no
    SQLite file, or a PostgreSQL database or schema without orderdesk's tables. Nothing was
    created."""


class SchemaVersionError(StoreError):
    """The database's schema is not this code's: newer (never touched), or older and not
    to be upgraded implicitly (opened with ``upgrade=False``)."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        if found > supported:
            text = (
                f"database schema version {found} is newer than this orderdesk supports "
                f"({supported}); upgrade orderdesk, do not downgrade the database"
            )
        else:
            text = (
                f"database schema version {found} is older than this orderdesk's "
                f"({supported}); run `orderdesk db upgrade` first"
            )
        super().__init__(text)


# --- Venues: a transport failure, classified by whether the venue processed it -----------


class VenueError(OrderdeskError):
    """A request to a venue failed in transport; the subclass says what is known about it."""

    def __init__(self, venue: str, operation: str, detail: str) -> None:
        self.venue = venue
        self.operation = operation
        self.detail = detail
        super().__init__(f"{venue} {operation}: {detail}")


class NotSent(VenueError):
    """The request provably never reached the venue (connection refused): resend it as is."""


class CircuitOpen(VenueError):
    """Not sent: the venue failed repeatedly and its circuit breaker stays open for
    ``retry_after`` seconds. Cancels are never stopped this way."""

    def __init__(
        self, venue: str, operation: str, retry_after: float, last_failure: str | None = None
    ) -> None:
        self.retry_after = retry_after
        self.last_failure = last_failure
        why = "" if last_failure is None else f" after: {last_failure}"
        super().__init__(venue, operation, f"circuit open{why}; retry after {retry_after:g} s")


class RateLimited(VenueError):
    """The venue refused the request unprocessed (HTTP 429); wait ``retry_after`` seconds."""

    def __init__(self, venue: str, operation: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(venue, operation, f"rate limited; retry after {retry_after:g} s")


class Banned(VenueError):
    """The venue bans the client (HTTP 418) for ignoring a 429; unprocessed, wait it out."""

    def __init__(self, venue: str, operation: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(venue, operation, f"banned; retry after {retry_after:g} s")


class OutcomeUnknown(VenueError):
    """The request may have been processed; nothing says whether (timeout, 5xx, lost reply).

    A submit that ends here leaves the order IN_DOUBT: resolve it by querying, never by
    resending blindly and never by declaring it rejected.
    """
