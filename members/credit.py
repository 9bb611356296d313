"""Store credit: a per-member ledger of credits, uses and expiries, in minor units.

The balance is the running ``balance_after`` of the member's latest entry; it is never negative
(the services refuse, and a check constraint stands behind them) and holds one currency at a
time: while it is above zero, an entry in another currency is refused. Entries are written under
a lock on the member's row, so two writers never both spend the same balance, and each carries a
``key``: a repeated credit with the same reason on the same (UTC) day, or a second use for the
same order, is recorded once. The day is part of it because the guard is against a command run
twice by mistake: the same goodwill credit a month later is a new credit.
Nothing here uses floats; amounts from people go through ``to_minor_units``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction

from members.models import StoreCreditEntry, User
from members.support import SupportError, require_reason
from membership_site.rows import Precompiled, first_row
from products.money import ZERO_DECIMAL_CURRENCIES, format_money, to_decimal

Kind = StoreCreditEntry.Kind
# The ledger's columns are 32-bit integers (PostgreSQL refuses more with a DataError).
MAX_MINOR_UNITS = 2_147_483_647


@dataclass(frozen=True)
class Balance:
    amount: int  # minor units
    currency: str  # "" before the first entry

    @property
    def formatted(self) -> str:
        """For members: in the active language's form (€20.00, 20,00 €)."""
        return format_money(self.amount, self.currency) if self.currency else ""

    @property
    def display(self) -> str:
        if not self.currency:
            return "0"
        return f"{to_decimal(self.amount, self.currency)} {self.currency}"


@dataclass(frozen=True)
class CreditChange:
    entry: StoreCreditEntry | None
    changed: bool
    balance: Balance
    summary: str


def normalize_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise SupportError(f"{currency!r} is not a currency code such as EUR")
    return code


def to_minor_units(amount: str | Decimal, currency: str) -> int:
    """ "49.90" EUR → 4990; refuses zero, negative amounts and more decimals than the currency."""
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise SupportError(f"{amount!r} is not an amount such as 20.00") from None
    if not value.is_finite() or value <= 0:
        raise SupportError(f"the amount must be above 0, not {amount}")
    places = 0 if normalize_currency(currency) in ZERO_DECIMAL_CURRENCIES else 2
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise SupportError(f"{amount} has more than {places} decimals for {currency.upper()}")
    return int(minor)


# Read on every profile page: compiled once per process (issue 20).
_LATEST_ENTRY = Precompiled(
    lambda *, member_pk: first_row(
        StoreCreditEntry.objects.filter(member_id=member_pk).order_by("-pk")
    ),
    member_pk=int,
)


def credit_balance(*, member: User) -> Balance:
    """The member's current balance (one query)."""
    latest = _LATEST_ENTRY.first(member_pk=member.pk)
    return Balance(latest.balance_after, latest.currency) if latest else Balance(0, "")


def _fingerprint(*parts: object) -> str:
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _day(now: datetime) -> str:
    """The UTC day of ``now``: a repeat within it is a slip, a repeat on another day is meant."""
    return now.astimezone(UTC).date().isoformat()


def _write(
    *, member: User, kind: str, amount: int, currency: str, key: str, audit: dict
) -> CreditChange:
    """Lock the member, re-read the balance, check, append one entry."""
    User.objects.select_for_update().filter(pk=member.pk).first()
    done = StoreCreditEntry.objects.filter(member=member, key=key).first()
    if done is not None:
        balance = credit_balance(member=member)
        return CreditChange(done, False, balance, f"already recorded: {done.kind} ({key})")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise SupportError(f"the amount must be a whole number of minor units above 0: {amount}")
    balance = credit_balance(member=member)
    if balance.amount and currency != balance.currency:
        raise SupportError(
            f"{member.email}'s store credit is in {balance.currency} ({balance.display}), "
            f"not {currency}"
        )
    if amount > MAX_MINOR_UNITS:
        raise SupportError(f"{Balance(amount, currency).display} is too large an amount")
    after = balance.amount + amount if kind == Kind.CREDIT else balance.amount - amount
    if after > MAX_MINOR_UNITS:
        raise SupportError(
            f"{member.email}'s balance would be too large: {Balance(after, currency).display}"
        )
    if after < 0:
        raise SupportError(f"{member.email} has only {balance.display} of store credit")
    entry = StoreCreditEntry.objects.create(
        member=member, kind=kind, amount=amount, currency=currency, balance_after=after,
        key=key, **audit,
    )  # fmt: skip
    new_balance = Balance(after, currency)
    return CreditChange(entry, True, new_balance, f"{kind} {Balance(amount, currency).display}")


@transaction.atomic
def add_store_credit(
    *,
    member: User,
    amount: int,
    currency: str,
    actor: User | None,
    reason: str,
    now: datetime,
    key: str = "",
) -> CreditChange:
    """Put ``amount`` minor units on the member's balance. The same amount, currency and reason
    is credited once a day (``key`` overrides that fingerprint)."""
    reason = require_reason(reason)
    currency = normalize_currency(currency)
    key = key or "credit:" + _fingerprint(amount, currency, reason, _day(now))
    audit = {"at": now, "actor": actor, "reason": reason}
    return _write(member=member, kind=Kind.CREDIT, amount=amount, currency=currency, key=key,
                  audit=audit)  # fmt: skip


@transaction.atomic
def use_store_credit(
    *,
    member: User,
    amount: int,
    currency: str,
    key: str,
    reason: str,
    now: datetime,
    actor: User | None = None,
    order=None,
) -> CreditChange:
    """Spend ``amount`` of the balance (a checkout), once per ``key`` (e.g. the checkout id);
    refused beyond the balance or in another currency."""
    reason = require_reason(reason)
    if not key:
        raise SupportError("a use of store credit needs a key (the checkout or order it pays)")
    audit = {"at": now, "actor": actor, "reason": reason, "order": order}
    return _write(member=member, kind=Kind.USE, amount=amount,
                  currency=normalize_currency(currency), key=f"use:{key}", audit=audit)  # fmt: skip


def credit_for_checkout(*, member: User, amount: int, currency: str) -> int:
    """How much of the member's balance a checkout of ``amount`` may take off: at most the
    balance and the amount, and nothing when the balance is in another currency."""
    balance = credit_balance(member=member)
    if balance.amount <= 0 or balance.currency != (currency or "").upper():
        return 0
    return min(balance.amount, amount)


@transaction.atomic
def use_checkout_credit(
    *, member: User, amount: int, currency: str, key: str, order, now: datetime
) -> CreditChange | None:
    """Record what a paid checkout took off the balance, once per checkout ``key``.

    Called from the paid webhook, not when the checkout opens: an expired or failed checkout
    uses nothing. If the balance shrank meanwhile (two checkouts paid at once, an expiry),
    only what is left is recorded, so it never goes negative; a balance now in another
    currency is left alone.
    """
    User.objects.select_for_update().filter(pk=member.pk).first()
    key = f"use:checkout:{key}"
    if StoreCreditEntry.objects.filter(member=member, key=key).exists():
        return None  # the unique (member, key) constraint stands behind this re-check
    amount = credit_for_checkout(member=member, amount=amount, currency=currency)
    if amount <= 0:
        return None
    audit = {"at": now, "actor": None, "reason": f"checkout {order.provider_ref}", "order": order}
    return _write(member=member, kind=Kind.USE, amount=amount,
                  currency=normalize_currency(currency), key=key, audit=audit)  # fmt: skip


@transaction.atomic
def expire_store_credit(
    *,
    member: User,
    actor: User | None,
    reason: str,
    now: datetime,
    amount: int | None = None,
    key: str = "",
) -> CreditChange:
    """Let ``amount`` (default: the whole balance) lapse; nothing to expire changes nothing."""
    reason = require_reason(reason)
    User.objects.select_for_update().filter(pk=member.pk).first()
    balance = credit_balance(member=member)
    amount = balance.amount if amount is None else amount
    if amount == 0 and balance.amount == 0:
        return CreditChange(None, False, balance, "no store credit to expire")
    key = key or "expire:" + _fingerprint(amount, balance.currency, reason, _day(now))
    audit = {"at": now, "actor": actor, "reason": reason}
    return _write(member=member, kind=Kind.EXPIRE, amount=amount, currency=balance.currency,
                  key=key, audit=audit)  # fmt: skip
