"""Starting a purchase: a Stripe Checkout Session, or the customer portal for a member."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from billing import stripe_api
from billing.selectors import stripe_customer_for
from members.models import User
from products.models import Price


def checkout_session_params(*, price: Price, member: User | None) -> dict:
    """The Checkout Session for one price: ``metadata.price_id`` names our Stripe price.

    Stripe's page speaks the language the buyer browses our site in, and ``metadata.language``
    carries it to the webhook, so a new member's e-mails come in that language too.
    """
    success = settings.SITE_URL + reverse("billing:checkout_success")
    language = translation.get_language() or settings.LANGUAGE_CODE
    params: dict = {
        "mode": "subscription" if price.is_recurring else "payment",
        "line_items": [{"price": price.stripe_price_id, "quantity": 1}],
        "success_url": success + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": settings.SITE_URL + price.product.get_catalog_url(),
        "metadata": {"price_id": price.stripe_price_id, "language": language},
        "locale": language.split("-")[0],
    }
    if price.is_recurring:
        # The first invoice (which creates the member) carries the subscription's metadata.
        subscription_data: dict = {
            "metadata": {"price_id": price.stripe_price_id, "language": language}
        }
        if price.trial_days:
            subscription_data["trial_period_days"] = price.trial_days
        params["subscription_data"] = subscription_data
    else:
        params["customer_creation"] = "always"  # so the member can open the portal later
    customer = stripe_customer_for(member=member) if member is not None else None
    if customer is not None:
        params["customer"] = customer.provider_customer_id
    elif member is not None:
        params["customer_email"] = member.email
    return params


def start_checkout(*, price: Price, member: User | None) -> str:
    """Create the Checkout Session through Stripe's API; returns the URL to send the buyer to."""
    session = stripe_api.create_checkout_session(
        checkout_session_params(price=price, member=member)
    )
    return session.url


def portal_url(*, member: User) -> str | None:
    """A Stripe customer portal session for the member; None if Stripe does not know them."""
    customer = stripe_customer_for(member=member)
    if customer is None or not stripe_api.is_configured():
        return None
    return stripe_api.create_portal_session(
        customer_ref=customer.provider_customer_id,
        return_url=settings.SITE_URL + reverse("members:dashboard"),
    )
