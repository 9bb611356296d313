"""Evidence in findings: JSON-safe, money as minor-unit integers plus decimal strings."""

from __future__ import annotations

from datetime import datetime

from members.access import effective_state
from members.models import AccessGrant
from products.money import to_decimal


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def money(amount: int, currency: str) -> dict:
    """``{"amount_minor": 2900, "amount": "29.00", "currency": "EUR"}``: never a float."""
    return {
        "amount_minor": amount,
        "amount": str(to_decimal(amount, currency)) if currency else str(amount),
        "currency": currency,
    }


def grant_evidence(grant: AccessGrant, *, now: datetime) -> dict:
    return {
        "product": grant.product.slug,
        "state": grant.state,
        "effective_state": effective_state(grant, now=now),
        "paid_through": moment(grant.paid_through),
    }
