"""The DATEV part of the seller settings: SKR03 defaults and the checks that keep a bad account
plan out of the export.

Accounts are strings of digits. A revenue account (Sachkonto) has exactly the configured account
length (Sachkontenlänge, 4 in SKR03 and SKR04); the clearing or debtor account the bookings run
against may also be a personal account, which DATEV numbers with one digit more (10000).

Two JSON fields map a VAT rate to an account: domestic revenue (``{"19": "8400", "7": "8300"}``)
and OSS revenue (the buyer's country's rate, with ``"other"`` for every rate not listed). The
special treatments each have a named field. Kept free of model imports, so ``models.py`` can call
the checks from ``SellerSettings.clean()``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

OTHER_RATES = "other"

# SKR03 (DATEV Kontenrahmen 03). SKR04 users enter their advisor's accounts.
DEFAULT_REVENUE_ACCOUNTS = {"19": "8400", "7": "8300"}
DEFAULT_OSS_ACCOUNTS = {OTHER_RATES: "8320"}
DEFAULT_REVERSE_CHARGE_ACCOUNT = "8336"  # EU business buyer, § 13b: buyer owes the VAT
DEFAULT_EXPORT_ACCOUNT = "8338"  # outside the EU, not taxable in Germany
DEFAULT_SMALL_BUSINESS_ACCOUNT = "8195"  # § 19 UStG
DEFAULT_CLEARING_ACCOUNT = "1360"  # Geldtransit: the provider pays out later


def default_revenue_accounts() -> dict[str, str]:
    return dict(DEFAULT_REVENUE_ACCOUNTS)


def default_oss_accounts() -> dict[str, str]:
    return dict(DEFAULT_OSS_ACCOUNTS)


def parse_rate(key: str) -> Decimal | None:
    """``"19"``, ``"19.00"`` and ``"19,0"`` are the same rate; None if it is not a rate."""
    try:
        rate = Decimal(str(key).strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not rate.is_finite() or rate < 0 or rate > 100:
        return None
    return rate


def account_for_rate(accounts: dict[str, str], rate: Decimal) -> str | None:
    """The account a rate map gives ``rate``: an exact rate first, then ``"other"``."""
    for key, account in accounts.items():
        if key != OTHER_RATES and parse_rate(key) == rate:
            return account
    return accounts.get(OTHER_RATES)


def check_account(value: str, *, length: int, personal_allowed: bool = False) -> str | None:
    """An error message for a bad account number, or None."""
    lengths = (length, length + 1) if personal_allowed else (length,)
    if not (value.isascii() and value.isdigit()) or len(value) not in lengths:
        if personal_allowed:
            return _(
                "“%(value)s” is not an account: use %(length)d digits (or %(personal)d for a "
                "debtor account)."
            ) % {"value": value, "length": length, "personal": length + 1}
        return _("“%(value)s” is not an account: use exactly %(length)d digits.") % {
            "value": value,
            "length": length,
        }
    return None


def check_rate_map(value, *, length: int, other_allowed: bool) -> list[str]:
    """Every problem of a rate → account map, worded for the admin."""
    if not isinstance(value, dict):
        return [_('Enter an object that maps a VAT rate to an account, like {"19": "8400"}.')]
    errors = []
    seen: set[Decimal] = set()
    for key, account in value.items():
        if key == OTHER_RATES and other_allowed:
            pass
        elif (rate := parse_rate(key)) is None:
            errors.append(_("“%(key)s” is not a VAT rate (0 to 100).") % {"key": key})
        elif rate in seen:
            errors.append(_("The rate %(key)s appears twice.") % {"key": key})
        else:
            seen.add(rate)
        if not isinstance(account, str):
            errors.append(_("The account for %(key)s must be a text in quotes.") % {"key": key})
        elif problem := check_account(account, length=length):
            errors.append(problem)
    return errors


def check_clearing_map(value, *, length: int) -> list[str]:
    if not isinstance(value, dict):
        return [_('Enter an object that maps a provider to an account, like {"stripe": "1361"}.')]
    errors = []
    for provider, account in value.items():
        if not isinstance(account, str):
            errors.append(
                _("The account for %(key)s must be a text in quotes.") % {"key": provider}
            )
        elif problem := check_account(account, length=length, personal_allowed=True):
            errors.append(problem)
    return errors


def datev_field_errors(seller) -> dict[str, list[str]]:
    """Errors per field of a ``SellerSettings`` row's DATEV part (empty when it is fine)."""
    length = seller.datev_account_length
    if not isinstance(length, int) or not 4 <= length <= 8:
        return {}  # the field's own validators report it; the accounts cannot be judged
    errors: dict[str, list[str]] = {}
    single = {
        "datev_reverse_charge_account": seller.datev_reverse_charge_account,
        "datev_export_account": seller.datev_export_account,
        "datev_small_business_account": seller.datev_small_business_account,
    }
    for name, value in single.items():
        if value and (problem := check_account(value, length=length)):
            errors[name] = [problem]
    clearing = seller.datev_clearing_account
    if clearing and (problem := check_account(clearing, length=length, personal_allowed=True)):
        errors["datev_clearing_account"] = [problem]
    maps = {
        "datev_revenue_accounts": check_rate_map(
            seller.datev_revenue_accounts, length=length, other_allowed=False
        ),
        "datev_oss_accounts": check_rate_map(
            seller.datev_oss_accounts, length=length, other_allowed=True
        ),
        "datev_clearing_accounts": check_clearing_map(
            seller.datev_clearing_accounts, length=length
        ),
    }
    errors.update({name: problems for name, problems in maps.items() if problems})
    return errors
