"""Stripe's API, through the official library with timeouts and bounded retries.

Every call goes through ``client()``. Tests install a stub of the HTTP layer with
``use_http_client`` (a ``stripe.HTTPClient``), so the library's request building and response
parsing run for real while nothing leaves the machine.
"""

from __future__ import annotations

import stripe
from django.conf import settings

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20
MAX_NETWORK_RETRIES = 2

_http_client: stripe.HTTPClient | None = None


class StripeNotConfigured(RuntimeError):
    """``STRIPE_SECRET_KEY`` is unset, so the API cannot be asked."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def use_http_client(http_client: stripe.HTTPClient | None) -> None:
    """Install an HTTP client for every later call (tests: a stub; None: the default)."""
    global _http_client
    _http_client = http_client


def client() -> stripe.StripeClient:
    if not is_configured():
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set")
    http_client = _http_client or stripe.RequestsClient(
        timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
    )
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=http_client,
        max_network_retries=MAX_NETWORK_RETRIES,
    )


def checkout_line_item_price_ids(session_ref: str) -> tuple[str, ...]:
    """The price ids of a Checkout Session's line items (for sessions without metadata)."""
    items = client().v1.checkout.sessions.line_items.list(session_ref, {"limit": 100})
    return tuple(item.price.id for item in items.data if getattr(item, "price", None))


def customer_email(customer_ref: str) -> tuple[str, str]:
    """The e-mail address and name of a Stripe customer ("" when deleted or unknown)."""
    customer = client().v1.customers.retrieve(customer_ref)
    if getattr(customer, "deleted", False):
        return "", ""
    return getattr(customer, "email", None) or "", getattr(customer, "name", None) or ""


def invoice_paid_by(payment_intent_ref: str) -> str:
    """The id of the invoice a payment intent paid ("" if it paid none)."""
    payments = client().v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": payment_intent_ref}, "limit": 1}
    )
    for payment in payments.data:
        invoice = payment.invoice
        return invoice if isinstance(invoice, str) else invoice.id
    return ""


def create_checkout_session(params: dict) -> stripe.checkout.Session:
    return client().v1.checkout.sessions.create(params)


def create_portal_session(*, customer_ref: str, return_url: str) -> str:
    session = client().v1.billing_portal.sessions.create(
        {"customer": customer_ref, "return_url": return_url}
    )
    return session.url


def set_cancel_at_period_end(*, subscription_ref: str, cancel: bool) -> dict:
    """Cancel a subscription at its period end (or withdraw that); Stripe's new view of it.

    ``Subscription.modify(id, cancel_at_period_end=…)``; the webhook that follows
    (``customer.subscription.updated``) carries the same state and is what makes it final.
    """
    subscription = client().v1.subscriptions.update(
        subscription_ref, {"cancel_at_period_end": cancel}
    )
    return subscription.to_dict()
