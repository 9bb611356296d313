"""VAT maths on integers in minor units, in Decimal, with one documented rounding rule.

The gross amount is what the buyer paid and is never rounded. The net amount is
``gross / (1 + rate / 100)`` rounded half-up (away from zero) to the currency's minor unit, and
the VAT is the rest: ``VAT = gross - net``. Net plus VAT therefore always equals gross exactly.
Negative amounts (credit notes) are split like their absolute value and negated, so a credit
note for the full amount mirrors its invoice cent for cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Split:
    net: int
    vat: int
    gross: int


def split_gross(*, gross: int, rate: Decimal) -> Split:
    """Split a gross amount (minor units) at ``rate`` percent; ``rate`` 0 means no VAT."""
    if rate < 0:
        raise ValueError("A VAT rate cannot be negative.")
    sign = -1 if gross < 0 else 1
    net_exact = Decimal(abs(gross)) * HUNDRED / (HUNDRED + rate)
    net = sign * int(net_exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return Split(net=net, vat=gross - net, gross=gross)
