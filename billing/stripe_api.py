"""Stripe's API, through the official library with timeouts and bounded retries.

Every call goes through ``client()``. Tests install a stub of the HTTP layer with
``use_http_client`` (a ``stripe.HTTPClient``), so the library's request building and response
parsing run for real while nothing leaves the machine.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from typing import TypeVar

import stripe
from django.conf import settings

T = TypeVar("T")

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


def client(*, max_network_retries: int = MAX_NETWORK_RETRIES) -> stripe.StripeClient:
    if not is_configured():
        raise StripeNotConfigured("STRIPE_SECRET_KEY is not set")
    http_client = _http_client or stripe.RequestsClient(
        timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
    )
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=http_client,
        max_network_retries=max_network_retries,
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


def create_coupon(params: dict) -> str:
    """A coupon (``Coupon.create``); its id."""
    return client().v1.coupons.create(params).id


def update_coupon(coupon_ref: str, params: dict) -> None:
    """``Coupon.modify``: only ``name`` and ``metadata`` can change on a Stripe coupon."""
    client().v1.coupons.update(coupon_ref, params)


def create_promotion_code(params: dict) -> str:
    """A promotion code (the code a buyer types) for a coupon; its id (``promo_…``)."""
    return client().v1.promotion_codes.create(params).id


def update_promotion_code(promotion_code_ref: str, params: dict) -> None:
    """``PromotionCode.modify``: ``active`` and ``metadata`` (the rest is immutable)."""
    client().v1.promotion_codes.update(promotion_code_ref, params)


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


def change_price_now(*, subscription_ref: str, price_ref: str) -> dict:
    """An upgrade: the subscription's item moves to ``price_ref`` at once. Proration is left to
    Stripe's default (``create_prorations``: the difference goes on the next invoice). A
    downgrade scheduled before (a schedule on the subscription) is released first."""
    api = client().v1
    current = api.subscriptions.retrieve(subscription_ref).to_dict()
    schedule = current.get("schedule")
    if isinstance(schedule, dict):
        schedule = schedule.get("id")
    if schedule:
        api.subscription_schedules.release(schedule)
    item = current["items"]["data"][0]
    answer = api.subscriptions.update(
        subscription_ref, {"items": [{"id": item["id"], "price": price_ref}]}
    )
    return answer.to_dict()


def change_price_at_period_end(*, subscription_ref: str, price_ref: str) -> dict:
    """A downgrade: a subscription schedule keeps the current price until the current phase
    ends (the period end), then the next phase bills ``price_ref``; the schedule then releases
    the subscription. Stripe's documented way to change a price at the period end."""
    api = client().v1
    current = api.subscriptions.retrieve(subscription_ref).to_dict()
    schedule_ref = current.get("schedule")
    if isinstance(schedule_ref, dict):
        schedule_ref = schedule_ref.get("id")
    if schedule_ref:
        schedule = api.subscription_schedules.retrieve(schedule_ref).to_dict()
    else:
        schedule = api.subscription_schedules.create(
            {"from_subscription": subscription_ref}
        ).to_dict()
    phase = schedule["current_phase"]
    item = current["items"]["data"][0]
    price = item["price"]["id"] if isinstance(item["price"], dict) else item["price"]
    api.subscription_schedules.update(
        schedule["id"],
        {
            "end_behavior": "release",
            "phases": [
                {
                    "items": [{"price": price, "quantity": item.get("quantity") or 1}],
                    "start_date": phase["start_date"],
                    "end_date": phase["end_date"],
                },
                {"items": [{"price": price_ref, "quantity": 1}], "proration_behavior": "none"},
            ],
        },
    )
    return api.subscriptions.retrieve(subscription_ref).to_dict()


# --- Listing (reconcile) ----------------------------------------------------------------------

LIST_ATTEMPTS = 5
LIST_PAGE_SIZE = 100  # Stripe's maximum
MAX_BACKOFF_SECONDS = 30.0
# What waiting can fix: a rate limit (429), a connection problem, a 5xx or a lock conflict.
RETRYABLE = (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError)
sleep: Callable[[float], None] = time.sleep  # tests replace it to record the waits


def backoff_seconds(attempt: int) -> float:
    """1, 2, 4, 8 … seconds (plus up to 25% jitter) after the n-th failed attempt, at most 30."""
    base = min(2.0 ** (attempt - 1), MAX_BACKOFF_SECONDS)
    return base + random.uniform(0, base / 4)  # noqa: S311 (jitter, not a secret)


def with_backoff(call: Callable[[], T], *, attempts: int = LIST_ATTEMPTS) -> T:
    """Call, and on a rate limit or a passing API error wait and call again, ``attempts`` times
    at most; the last error is raised. Errors a retry cannot fix (bad key, bad request) raise
    at once."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except RETRYABLE:
            if attempt == attempts:
                raise
            sleep(backoff_seconds(attempt))
    raise AssertionError("unreachable")


def _plain(value: dict) -> dict:
    """JSON-safe: the library turns ``*_decimal`` fields into Decimal; back to their string."""
    return json.loads(json.dumps(value, default=_decimal_text))


def _decimal_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} in a Stripe object")


def list_subscriptions(*, page_size: int | None = None) -> Iterator[dict]:
    """Every subscription of the account, of any status, with its latest invoice expanded.

    Paged with ``starting_after`` while ``has_more``; each page is retried on its own (the
    library's retries are off here, so waits are ours and bounded).
    """
    limit = page_size or LIST_PAGE_SIZE
    params: dict = {"status": "all", "limit": limit, "expand": ["data.latest_invoice"]}
    api = client(max_network_retries=0)
    while True:
        page = with_backoff(partial(api.v1.subscriptions.list, dict(params)))
        for subscription in page.data:
            yield _plain(subscription.to_dict())
        if not page.has_more or not page.data:
            return
        params["starting_after"] = page.data[-1].id


def create_refund(*, params: dict, idempotency_key: str) -> dict:
    """``Refund.create(payment_intent=… or charge=…, amount=…, …)``; Stripe's refund object.

    The idempotency key makes a repeated request (a double submit) return the first refund
    instead of refunding again.
    """
    refund = client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
    return refund.to_dict()


# --- One-click upsell (offers.upsell) ---------------------------------------------------------


def payment_intent_card(payment_intent_ref: str) -> tuple[str, str]:
    """The customer and payment method a paid PaymentIntent used ("" when absent)."""
    intent = client().v1.payment_intents.retrieve(payment_intent_ref)

    def ref(value: object) -> str:
        return value if isinstance(value, str) else getattr(value, "id", "") or ""

    return ref(getattr(intent, "customer", None)), ref(getattr(intent, "payment_method", None))


def create_payment_intent(*, params: dict, idempotency_key: str) -> dict:
    """``PaymentIntent.create``; the idempotency key makes a repeat return the first intent.
    A declined card or one that needs authentication raises ``stripe.CardError``."""
    intent = client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
    return intent.to_dict()
