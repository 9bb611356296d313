"""Invoices and credit notes (issue: invoices). Billing calls these inside its transactions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing.models import Payment


def issue_invoice_for_payment(*, payment: Payment, now: datetime) -> object | None:
    """Call inside the transaction that records the payment. Placeholder until invoices land."""
    return None


def issue_credit_note_for_refund(*, payment: Payment, amount: int, now: datetime) -> object | None:
    """Call inside the transaction that records the refund. Placeholder until invoices land."""
    return None
