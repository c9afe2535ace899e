"""Fee model: maker and taker rates per account tier, charged in the asset received."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from types import MappingProxyType

from orderdesk.model import Liquidity

__all__ = ["DEFAULT_FEES", "FEE_CONTEXT", "FeeRates", "FeeSchedule"]

FEE_CONTEXT = Context(prec=80, rounding=ROUND_HALF_UP)
"""Where fees are computed and rounded: rounding a fee is intended, so Inexact is not trapped."""


@dataclass(frozen=True, slots=True)
class FeeRates:
    """Fractions of the received amount charged per fill; negative is a rebate."""

    maker: Decimal
    taker: Decimal


class FeeSchedule:
    """Fee rates by tier, and the rule that turns a fill into a fee.

    A buyer pays the fee in the base asset it receives, a seller in the quote asset (as
    Binance does without BNB), so no fee ever needs reserving. Fees are rounded half-up
    to ``scale`` (8 decimal places by default).
    """

    __slots__ = ("_rates", "default_tier", "scale")

    def __init__(
        self,
        tiers: Mapping[str, FeeRates],
        *,
        default_tier: str,
        scale: Decimal = Decimal("0.00000001"),
    ) -> None:
        if default_tier not in tiers:
            raise ValueError(f"default tier {default_tier!r} is not among the tiers")
        self._rates = MappingProxyType(dict(tiers))
        self.default_tier = default_tier
        self.scale = scale

    @property
    def tiers(self) -> Mapping[str, FeeRates]:
        """The rates by tier name."""
        return self._rates

    def rates(self, tier: str) -> FeeRates:
        """Return the rates of ``tier``; raise ``KeyError`` for an unknown tier."""
        return self._rates[tier]

    def fee(self, rates: FeeRates, liquidity: Liquidity, received: Decimal) -> Decimal:
        """Return the fee on ``received`` at ``rates`` for ``liquidity``, rounded to scale."""
        rate = rates.maker if liquidity is Liquidity.MAKER else rates.taker
        if not rate:
            return Decimal(0).quantize(self.scale, context=FEE_CONTEXT)
        return FEE_CONTEXT.multiply(received, rate).quantize(self.scale, context=FEE_CONTEXT)


DEFAULT_FEES = FeeSchedule(
    {
        "default": FeeRates(maker=Decimal("0.001"), taker=Decimal("0.001")),
        "vip": FeeRates(maker=Decimal("0.0002"), taker=Decimal("0.0004")),
        "zero": FeeRates(maker=Decimal(0), taker=Decimal(0)),
    },
    default_tier="default",
)
"""Binance's standard spot rates (0.1 %), a cheaper tier and a free one."""
