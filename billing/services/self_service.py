"""The member's own billing: the customer portal, cancel at period end (with a reason), resume.

Changes go to the provider first (Stripe's API, or in offline test mode a signed event to our own
webhook, as the test checkout does). The provider's answer is shown at once; the webhook that
follows carries the same state and is what makes it final, recording nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from billing import stripe_api
from billing.models import CancellationFeedback, Subscription
from billing.providers import stripe as stripe_provider
from billing.providers import stripe_test_checkout
from billing.services.subscriptions import show_provider_answer
from members.models import User


class BillingUnavailable(RuntimeError):
    """This subscription cannot be changed online (another provider, no key, not test mode)."""


def portal_destination(*, subscription: Subscription, return_path: str) -> str:
    """Where "Manage subscription" leads: a Stripe customer portal session for the
    subscription's customer (returning to ``return_path``), or offline the local stand-in."""
    order = subscription.order
    if subscription.provider != "stripe" or order.customer is None:
        raise BillingUnavailable("not a Stripe subscription with a customer")
    if stripe_api.is_configured():
        return stripe_api.create_portal_session(
            customer_ref=order.customer.provider_customer_id,
            return_url=settings.SITE_URL + return_path,
        )
    if order.is_test and stripe_test_checkout.is_available():
        return reverse("billing:test_portal", args=[subscription.public_ref])
    raise BillingUnavailable("STRIPE_SECRET_KEY is not set")


def _ask_stripe(*, subscription: Subscription, cancel: bool) -> dict:
    if subscription.provider != "stripe":
        raise BillingUnavailable(f"{subscription.provider} subscriptions change at the provider")
    if stripe_api.is_configured():
        return stripe_api.set_cancel_at_period_end(
            subscription_ref=subscription.provider_ref, cancel=cancel
        )
    if subscription.order.is_test and stripe_test_checkout.is_available():
        return stripe_test_checkout.deliver_subscription_update(
            subscription, cancel_at_period_end=cancel
        )
    raise BillingUnavailable("STRIPE_SECRET_KEY is not set")


def set_cancellation(
    *, subscription: Subscription, cancel: bool, member: User, now: datetime
) -> Subscription:
    """Cancel at period end (``cancel``) or resume; returns the subscription as now shown.

    Asking twice is harmless: Stripe answers the same state, and nothing is recorded twice.
    Raises ``BillingUnavailable``, or ``stripe.StripeError`` when Stripe refuses.
    """
    answer = _ask_stripe(subscription=subscription, cancel=cancel)
    event = stripe_provider.subscription_state(answer, occurred_at=now)
    with transaction.atomic():
        shown = show_provider_answer(event=event, actor=member, now=now)
    return shown or subscription


def cancel_subscription(
    *, subscription: Subscription, member: User, reason: str, detail: str, now: datetime
) -> Subscription:
    """Cancel at the period end and keep why (optional). Access stays until the period ends."""
    subscription = set_cancellation(subscription=subscription, cancel=True, member=member, now=now)
    CancellationFeedback.objects.create(
        subscription=subscription,
        member=member,
        reason=reason,
        detail=detail.strip(),
        access_until=subscription.current_period_end,
        created_at=now,
    )
    return subscription
