"""ccxt's exceptions, translated once, at the edge, into orderdesk's (the broker's retry
table decides what each one means).

:data:`CCXT_ERRORS` is the one table: for a ccxt exception class, the
:class:`~orderdesk.errors.VenueError` it becomes (which fixes the retry action, through
the broker's ``RETRY_TABLE``) and whether it is the venue's "no" to an order. An error takes
the row of its nearest class (its MRO), so every class ccxt exports, and any it adds later,
has a row. The venue's "no" becomes a returned value where the Connector port has one (a
rejected submit with its :class:`~orderdesk.model.RejectCode`, a cancel that found nothing
to cancel, a query that found nothing) and otherwise raises the row's error.

ccxt's classes say what the venue answered, not always whether the request left, so the
connector's exchange adds three subclasses of its own, from the wire: HTTP 429 and 418
(Binance sends code -1003 with both, which ccxt reads as one class) and a connection never
established (ccxt calls it ``ExchangeNotAvailable``, like a reset after the request left).
Anything unclassified that may have been processed is :class:`~orderdesk.errors.OutcomeUnknown`:
a submit is then resolved by querying, never resent blindly nor called rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from urllib.parse import quote

import ccxt

from orderdesk.errors import Banned, NotSent, OutcomeUnknown, RateLimited, VenueError
from orderdesk.model import RejectCode

__all__ = [
    "CCXT_ERRORS",
    "ConnectFailed",
    "IpBanned",
    "TooManyRequests",
    "Translation",
    "redact",
    "reject_code",
    "translate",
    "translation_of",
]

DEFAULT_RETRY_AFTER: Final = 1.0
"""Seconds to wait after a 429 or 418 that names no ``Retry-After``."""


class ConnectFailed(ccxt.ExchangeNotAvailable):  # type: ignore[misc]
    """The connection was never established: the request never left."""


class TooManyRequests(ccxt.RateLimitExceeded):  # type: ignore[misc]
    """HTTP 429: refused unprocessed; ``retry_after`` seconds from the venue's header."""

    def __init__(self, message: str, retry_after: float = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IpBanned(ccxt.DDoSProtection):  # type: ignore[misc]
    """HTTP 418: banned for calling on after a 429; ``retry_after`` seconds from the header."""

    def __init__(self, message: str, retry_after: float = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Translation:
    """What one ccxt exception class means to orderdesk."""

    error: type[VenueError]
    """Raised when the answer is not a value of the operation."""
    reject: RejectCode | None = None
    """Not ``None`` for the venue's "no": a submit is REJECTED with this code, a cancel
    settles as too late or not found, a query finds nothing."""

    @property
    def venue_no(self) -> bool:
        """Whether this is the venue's answer to the order rather than a failure."""
        return self.reject is not None


_NOT_SENT = Translation(NotSent)
_UNKNOWN = Translation(OutcomeUnknown)
_INVALID = Translation(NotSent, RejectCode.INVALID_ORDER)

# fmt: off
CCXT_ERRORS: Final[Mapping[type[BaseException], Translation]] = MappingProxyType({
    # Anything ccxt raises without saying more: it may have been processed.
    ccxt.BaseError:                 _UNKNOWN,
    ccxt.ExchangeError:             _UNKNOWN,   # an answer ccxt could not classify
    # The venue read the request and refused it unprocessed: nothing happened.
    ccxt.AuthenticationError:       _NOT_SENT,  # bad key or signature
    ccxt.PermissionDenied:          _NOT_SENT,
    ccxt.AccountNotEnabled:         _NOT_SENT,
    ccxt.AccountSuspended:          _NOT_SENT,
    ccxt.ArgumentsRequired:         _NOT_SENT,  # raised by ccxt before sending
    ccxt.NotSupported:              _NOT_SENT,  # raised by ccxt before sending
    ccxt.InvalidProxySettings:      _NOT_SENT,  # raised by ccxt before sending
    ccxt.ExchangeClosedByUser:      _NOT_SENT,
    ccxt.InvalidAddress:            _NOT_SENT,  # withdrawals: not ours
    ccxt.AddressPending:            _NOT_SENT,
    ccxt.ManualInteractionNeeded:   _NOT_SENT,
    ccxt.RestrictedLocation:        _NOT_SENT,
    ccxt.UnsubscribeError:          _NOT_SENT,
    ccxt.OrderNotCached:            _NOT_SENT,  # ccxt's own cache, not the venue: unsure
    # The venue's "no" to an order.
    ccxt.BadRequest:                _INVALID,   # Binance's "Filter failure" among others
    ccxt.BadSymbol:                 Translation(NotSent, RejectCode.UNKNOWN_SYMBOL),
    ccxt.OperationRejected:         _INVALID,   # Binance's -2011 "cancel rejected"
    ccxt.NoChange:                  _INVALID,
    ccxt.MarginModeAlreadySet:      _INVALID,
    ccxt.MarketClosed:              _INVALID,
    ccxt.InsufficientFunds:         Translation(NotSent, RejectCode.INSUFFICIENT_BALANCE),
    ccxt.InvalidOrder:              _INVALID,   # Binance's -2010 "new order rejected"
    ccxt.OrderNotFound:             _INVALID,   # to a cancel or a query: not found
    ccxt.OrderImmediatelyFillable:  _INVALID,   # a post-only order would take
    ccxt.OrderNotFillable:          _INVALID,   # a fill-or-kill order cannot fill
    ccxt.DuplicateOrderId:          Translation(NotSent, RejectCode.DUPLICATE_CLIENT_ORDER_ID),
    ccxt.ContractUnavailable:       Translation(NotSent, RejectCode.UNKNOWN_SYMBOL),
    # Transport: sent, or maybe sent, with no usable answer.
    ccxt.OperationFailed:           _UNKNOWN,
    ccxt.NetworkError:              _UNKNOWN,
    ccxt.ExchangeNotAvailable:      _UNKNOWN,   # 5xx, reset, closed without an answer
    ccxt.RequestTimeout:            _UNKNOWN,
    ccxt.BadResponse:               _UNKNOWN,   # Binance's -1006 "execution status unknown"
    ccxt.NullResponse:              _UNKNOWN,
    ccxt.CancelPending:             _UNKNOWN,
    ccxt.OnMaintenance:             _NOT_SENT,  # the venue says it is closed for work
    ccxt.InvalidNonce:              _NOT_SENT,  # a stale timestamp: refused unprocessed
    ccxt.ChecksumError:             _NOT_SENT,  # a stream's book checksum: nothing sent
    ccxt.DDoSProtection:            Translation(Banned),
    ccxt.RateLimitExceeded:         Translation(RateLimited),
    # From the wire (the connector's exchange raises these).
    ConnectFailed:                  _NOT_SENT,
    TooManyRequests:                Translation(RateLimited),
    IpBanned:                       Translation(Banned),
})
# fmt: on
"""``CCXT_ERRORS[ccxt exception class]``; an error takes the row of its nearest class."""

# Venue messages that say more than ccxt's class (Binance's texts; the loopback venue's too).
_REJECT_MESSAGES: Final = (
    ("Duplicate order sent", RejectCode.DUPLICATE_CLIENT_ORDER_ID),
    ("Filter failure: PRICE_FILTER", RejectCode.PRICE_NOT_ON_TICK),
    ("Filter failure: LOT_SIZE", RejectCode.QUANTITY_NOT_ON_STEP),
    ("Filter failure: NOTIONAL", RejectCode.BELOW_MIN_NOTIONAL),
    ("Filter failure: MIN_NOTIONAL", RejectCode.BELOW_MIN_NOTIONAL),
    ("insufficient balance", RejectCode.INSUFFICIENT_BALANCE),
    ("parameter 'newClientOrderId'", RejectCode.INVALID_CLIENT_ORDER_ID),
)


def translation_of(error: BaseException) -> Translation:
    """Return the table's row for ``error``: that of the nearest class in its MRO."""
    for klass in type(error).__mro__:
        row = CCXT_ERRORS.get(klass)
        if row is not None:
            return row
    raise TypeError(f"{type(error).__name__} is not a ccxt error")


def reject_code(error: BaseException) -> RejectCode:
    """Return the reject code of a venue's "no": its message's, else its class's."""
    text = str(error)
    for needle, code in _REJECT_MESSAGES:
        if needle.lower() in text.lower():
            return code
    return translation_of(error).reject or RejectCode.INVALID_ORDER


def redact(text: str, secrets: Sequence[str]) -> str:
    """Return ``text`` with every secret (plain or URL-encoded) replaced by asterisks.

    Values shorter than four characters are left alone: they cannot be told from text.
    """
    for secret in secrets:
        if len(secret) < 4:
            continue
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            if form:
                text = text.replace(form, "**********")
    return text


def translate(
    error: BaseException, venue: str, operation: str, secrets: Sequence[str] = ()
) -> VenueError:
    """Return the orderdesk error for ccxt's ``error`` (its text stripped of ``secrets``)."""
    row = translation_of(error)
    if row.error is RateLimited or row.error is Banned:
        retry_after = float(getattr(error, "retry_after", DEFAULT_RETRY_AFTER))
        return row.error(venue, operation, retry_after)
    detail = redact(f"{type(error).__name__}: {error}", secrets)
    return row.error(venue, operation, detail)
