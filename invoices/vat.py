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

from django.db import models
from django.utils.translation import gettext_lazy as _

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


# --- Which VAT applies (issue 19) -----------------------------------------------------------

# The standard VAT rate of each EU member state, by ISO 3166 alpha-2 code (Greece is GR here;
# its VAT ids start with EL). Digital services to consumers are taxed at the buyer's rate (OSS);
# only the standard rate is used (no reduced rate applies to online courses and memberships in
# every state, so a creator with a reduced-rate product must check with their tax advisor).
# Checked on RATES_CHECKED_ON against the European Commission's TEDB figures as published in
# March 2026 (recent changes: FI 25.5 % from 2024-09, EE 24 % from 2025-07, SK 23 % from
# 2025-01, RO 21 % from 2025-08). Check again when a state announces a change.
RATES_CHECKED_ON = "2026-12-02"
EU_STANDARD_RATES: dict[str, Decimal] = {
    country: Decimal(rate)
    for country, rate in {
        "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
        "EE": "24", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
        "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
        "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23",
    }.items()
}  # fmt: skip


class TaxTreatment(models.TextChoices):
    """How a document is taxed; credit notes keep their invoice's treatment."""

    DOMESTIC = "domestic", _("domestic (seller's country)")
    OSS = "oss", _("EU consumer, buyer's country rate (OSS)")
    REVERSE_CHARGE = "reverse_charge", _("EU business, reverse charge")
    EXPORT = "export", _("outside the EU, not taxable")
    SMALL_BUSINESS = "small_business", _("small-business exemption (§ 19 UStG)")


@dataclass(frozen=True)
class Treatment:
    kind: str  # a TaxTreatment value
    rate: Decimal
    country: str  # the buyer's country ("" if unknown); a confirmed VAT id's for reverse charge


def is_eu_country(country: str) -> bool:
    return country.upper() in EU_STANDARD_RATES


def decide_treatment(
    *,
    seller_country: str,
    seller_rate: Decimal,
    small_business: bool,
    buyer_country: str,
    business_country: str = "",
) -> Treatment:
    """The tax treatment of a sale of digital services (pure; the caller gathers the facts).

    ``buyer_country`` is the buyer's country from the location evidence; ``business_country``
    is the country of a VAT id that VIES confirmed ("" when there is none, or it was refused).
    The § 19 exemption comes first (as before), then a confirmed business in another member
    state (reverse charge), then the seller's own country or an unknown one (the seller's
    rate, as before), then an EU consumer (the buyer's standard rate), then everyone else
    (outside the EU: not taxable here).
    """
    seller_country = seller_country.upper()
    buyer_country = (buyer_country or "").upper()
    if small_business:
        return Treatment(TaxTreatment.SMALL_BUSINESS, Decimal("0.00"), buyer_country)
    if business_country and is_eu_country(business_country) and business_country != seller_country:
        return Treatment(TaxTreatment.REVERSE_CHARGE, Decimal("0.00"), business_country.upper())
    if not buyer_country or buyer_country == seller_country:
        return Treatment(TaxTreatment.DOMESTIC, seller_rate, buyer_country)
    if is_eu_country(buyer_country):
        return Treatment(TaxTreatment.OSS, EU_STANDARD_RATES[buyer_country], buyer_country)
    return Treatment(TaxTreatment.EXPORT, Decimal("0.00"), buyer_country)
