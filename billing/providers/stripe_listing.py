"""Stripe subscriptions as listed by the API (for reconcile), and the events that replay them.

This module reads Stripe objects, so it lives with the provider. Both API shapes are read: the
period end on the subscription (before 2025-03-31) or on its items (``basil`` and later), an
invoice's subscription top-level or under ``parent.subscription_details``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.providers.stripe import (
    NAME,
    _invoice_subscription_ref,
    _line_price_ref,
    _ref,
    _subscription_period_end,
    _timestamp,
    _unique,
)

ENTITLED_STATUSES = ("active", "trialing")
ENDED_STATUSES = ("canceled", "incomplete_expired")


@dataclass(frozen=True)
class ListedInvoice:
    ref: str
    status: str
    amount_paid: int
    currency: str
    paid_at: datetime | None
    paid_through: datetime | None  # the latest line period end
    subscription_ref: str
    email: str


@dataclass(frozen=True)
class ListedSubscription:
    ref: str
    status: str
    customer_ref: str
    is_live: bool
    current_period_end: datetime | None
    cancel_at_period_end: bool
    ended_at: datetime | None
    price_refs: tuple[str, ...]
    latest_invoice: ListedInvoice | None

    @property
    def is_entitled(self) -> bool:
        """Stripe's view: the buyer pays (or is in a trial) for a period that has not ended."""
        if self.status not in ENTITLED_STATUSES:
            return False
        invoice = self.latest_invoice
        return invoice is not None and invoice.status == "paid"

    @property
    def has_ended(self) -> bool:
        return self.status in ENDED_STATUSES


def listed_invoice(invoice: dict | str | None) -> ListedInvoice | None:
    if not isinstance(invoice, dict):
        return None  # not expanded (or none yet)
    lines = (invoice.get("lines") or {}).get("data") or []
    ends = [(line.get("period") or {}).get("end") for line in lines]
    ends = [end for end in ends if end]
    transitions = invoice.get("status_transitions") or {}
    return ListedInvoice(
        ref=invoice.get("id") or "",
        status=invoice.get("status") or "",
        amount_paid=int(invoice.get("amount_paid") or 0),
        currency=(invoice.get("currency") or "").upper(),
        paid_at=_timestamp(transitions.get("paid_at")),
        paid_through=_timestamp(max(ends)) if ends else None,
        subscription_ref=_invoice_subscription_ref(invoice),
        email=invoice.get("customer_email") or "",
    )


def listed_subscription(subscription: dict) -> ListedSubscription:
    items = (subscription.get("items") or {}).get("data") or []
    return ListedSubscription(
        ref=subscription["id"],
        status=subscription.get("status") or "",
        customer_ref=_ref(subscription.get("customer")),
        is_live=subscription.get("livemode") is True,
        current_period_end=_subscription_period_end(subscription),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        ended_at=_timestamp(subscription.get("ended_at") or subscription.get("canceled_at")),
        price_refs=_unique(_line_price_ref(item) for item in items),
        latest_invoice=listed_invoice(subscription.get("latest_invoice")),
    )


def replay_event(*, event_type: str, obj: dict, occurred_at: datetime) -> dict:
    """A Stripe event envelope around an object as the API listed it, as its webhook would
    have delivered it. Its id is derived from the object, so replaying twice stores it once."""
    return {
        "id": f"reconcile_{event_type}_{obj['id']}",
        "object": "event",
        "type": event_type,
        "created": int(occurred_at.timestamp()),
        "livemode": obj.get("livemode") is True,
        "data": {"object": obj},
        "request": {"id": None, "idempotency_key": None},
    }


def invoice_paid_replay(subscription: dict, *, occurred_at: datetime) -> dict:
    """``invoice.paid`` of the subscription's latest invoice (expanded in the listing)."""
    invoice = dict(subscription["latest_invoice"])
    if not _invoice_subscription_ref(invoice):
        invoice["subscription"] = subscription["id"]  # an invoice listed without its parent
    paid_at = _timestamp((invoice.get("status_transitions") or {}).get("paid_at"))
    return replay_event(event_type="invoice.paid", obj=invoice, occurred_at=paid_at or occurred_at)


def subscription_ended_replay(subscription: dict, *, occurred_at: datetime) -> dict:
    """``customer.subscription.deleted`` as of the moment Stripe ended it."""
    ended = _timestamp(subscription.get("ended_at") or subscription.get("canceled_at"))
    obj = {key: value for key, value in subscription.items() if key != "latest_invoice"}
    return replay_event(
        event_type="customer.subscription.deleted", obj=obj, occurred_at=ended or occurred_at
    )


__all__ = [
    "NAME",
    "ListedInvoice",
    "ListedSubscription",
    "invoice_paid_replay",
    "listed_subscription",
    "subscription_ended_replay",
]
