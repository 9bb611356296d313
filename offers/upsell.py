"""One-click upsell: after a Stripe purchase, the success page offers the next product once.

* The first Checkout of a product with an active ``UpsellOffer`` saves the card for later
  off-session use (``checkout_params``: ``setup_future_usage=off_session`` and a customer).
* The success page creates the order's ``UpsellAttempt`` once (unique ``order``) and binds its
  token to the buyer's browser session (``offer_for_success_page``); it expires 30 minutes after
  the purchase.
* One click (``take_upsell``) moves the attempt from offered to charging exactly once (a
  conditional UPDATE) and creates an off-session PaymentIntent with an idempotency key derived
  from the token. Nothing is granted here: ``payment_intent.succeeded`` (with our metadata)
  becomes an ordinary ``PaymentSucceeded`` whose order is keyed by the intent, so a repeated
  webhook records one order, one payment, one invoice and one grant.
* A declined card, one that needs authentication (3-D Secure) or no saved card: nothing is
  charged, and the page offers a Stripe Checkout for the same price instead.
* Offline test mode (no key): the click delivers a signed ``payment_intent.succeeded`` to our
  own webhook, or, with the "declined" test card, fails as Stripe would.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

import stripe
from django.db import IntegrityError, transaction
from django.utils import translation

from billing import stripe_api
from billing.models import Order, Payment
from members.models import AccessGrant
from offers.models import UpsellAttempt, UpsellOffer
from products.models import Price
from products.sellable import offline_price_ref, test_checkout_is_available

OFFER_MINUTES = 30
SESSION_KEY = "upsell_tokens"
Status = UpsellAttempt.Status


class Failure:
    DECLINED = "declined"
    AUTHENTICATION = "authentication_required"
    NO_CARD = "no_saved_card"
    ERROR = "error"


TEST_CARDS = ("succeeds", Failure.DECLINED, Failure.AUTHENTICATION)


def active_offer_for(*, product_id: int) -> UpsellOffer | None:
    return (
        UpsellOffer.objects.filter(product_id=product_id, is_active=True)
        .select_related("price__product")
        .first()
    )


def checkout_params(*, price: Price) -> dict:
    """Extra Checkout Session parameters for a one-off price whose product has an upsell: the
    card is saved for the one-click charge (a customer is created, or the member's is used)."""
    if price.is_recurring or active_offer_for(product_id=price.product_id) is None:
        return {}
    return {"payment_intent_data": {"setup_future_usage": "off_session"}}


# --- the success page -------------------------------------------------------------------------


def offer_for_success_page(*, order: Order | None, session, member, now: datetime):
    """The order's upsell attempt to show: created once per order, bound to the browser session
    that first sees it (the buyer, back from Checkout), None when there is nothing to show."""
    if order is None or order.provider != "stripe" or order.status != Order.Status.PAID:
        return None
    attempt = UpsellAttempt.objects.filter(order=order).select_related("offer__price").first()
    if attempt is None:
        attempt = _create_attempt(order=order, session=session, now=now)
    if attempt is None or not may_see(attempt=attempt, session=session, member=member):
        return None
    if attempt.status == Status.DISMISSED:
        return None
    if attempt.status == Status.OFFERED and now >= attempt.expires_at:
        return None
    return attempt


def _create_attempt(*, order: Order, session, now: datetime) -> UpsellAttempt | None:
    offer = active_offer_for(product_id=order.product_id)
    expires_at = order.created_at + timedelta(minutes=OFFER_MINUTES)
    if offer is None or now >= expires_at or order.customer_id is None:
        return None
    if AccessGrant.objects.filter(member_id=order.member_id, product=offer.price.product).exists():
        return None  # they own it already
    token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            attempt = UpsellAttempt.objects.create(
                order=order,
                offer=offer,
                member_id=order.member_id,
                token=token,
                amount=offer.charge_amount,
                currency=offer.price.currency.upper(),
                offered_at=now,
                expires_at=expires_at,
            )
    except IntegrityError:
        return None  # another request made it first: it belongs to that request's session
    session[SESSION_KEY] = [*session.get(SESSION_KEY, [])[-9:], token]
    return attempt


def may_see(*, attempt: UpsellAttempt, session, member) -> bool:
    """Only the browser session that was shown the offer, or the order's member logged in."""
    if attempt.token in session.get(SESSION_KEY, []):
        return True
    return member is not None and member.is_authenticated and member.pk == attempt.member_id


def attempt_for(*, token: str, session, member) -> UpsellAttempt | None:
    attempt = (
        UpsellAttempt.objects.filter(token=token[:64])
        .select_related("offer__price__product", "order__customer", "member")
        .first()
    )
    if attempt is None or not may_see(attempt=attempt, session=session, member=member):
        return None
    return attempt


def state_of(attempt: UpsellAttempt, *, now: datetime) -> str:
    """offered, expired, dismissed, processing, done or failed (as the page shows it)."""
    if attempt.status == Status.OFFERED:
        return "expired" if now >= attempt.expires_at else "offered"
    if attempt.status == Status.CHARGING:
        paid = Order.objects.filter(
            provider="stripe", provider_ref=attempt.payment_intent_ref
        ).exists()
        return "done" if attempt.payment_intent_ref and paid else "processing"
    return attempt.status


def dismiss_upsell(*, attempt: UpsellAttempt, now: datetime) -> bool:
    return bool(
        UpsellAttempt.objects.filter(pk=attempt.pk, status=Status.OFFERED).update(
            status=Status.DISMISSED
        )
    )


# --- the click --------------------------------------------------------------------------------


def take_upsell(*, attempt: UpsellAttempt, now: datetime, test_card: str = "") -> str:
    """Charge the saved card once; the attempt's state afterwards. A second click (or a
    concurrent one) finds the attempt charging and charges nothing."""
    taken = UpsellAttempt.objects.filter(
        pk=attempt.pk, status=Status.OFFERED, expires_at__gt=now
    ).update(status=Status.CHARGING, clicked_at=now)
    attempt.refresh_from_db()
    if not taken:
        return state_of(attempt, now=now)
    if stripe_api.is_configured():
        _charge_at_stripe(attempt)
    elif test_checkout_is_available():
        _charge_offline(attempt, test_card=test_card if test_card in TEST_CARDS else "")
    else:
        _fail(attempt, Failure.ERROR)
    attempt.refresh_from_db()
    return state_of(attempt, now=now)


def _fail(attempt: UpsellAttempt, failure: str, payment_intent_ref: str = "") -> None:
    UpsellAttempt.objects.filter(pk=attempt.pk).update(
        status=Status.FAILED, failure=failure, payment_intent_ref=payment_intent_ref
    )


def _metadata(attempt: UpsellAttempt) -> dict:
    return {
        "upsell_offer": attempt.token,
        "price_id": offline_price_ref(attempt.offer.price),
        "member": str(attempt.member_id),
        "language": translation.get_language() or "",
    }


def _first_payment_intent(attempt: UpsellAttempt) -> str:
    payment = (
        Payment.objects.filter(order_id=attempt.order_id).exclude(payment_intent_ref="").first()
    )
    return payment.payment_intent_ref if payment else ""


def _charge_at_stripe(attempt: UpsellAttempt) -> None:
    first = _first_payment_intent(attempt)
    try:
        customer, payment_method = stripe_api.payment_intent_card(first) if first else ("", "")
    except stripe.StripeError:
        customer, payment_method = "", ""
    if not customer or not payment_method:
        _fail(attempt, Failure.NO_CARD)
        return
    params = {
        "amount": attempt.amount,
        "currency": attempt.currency.lower(),
        "customer": customer,
        "payment_method": payment_method,
        "confirm": True,
        "off_session": True,
        "description": str(attempt.offer.price.product),
        "metadata": _metadata(attempt),
    }
    try:
        intent = stripe_api.create_payment_intent(
            params=params, idempotency_key=f"upsell-{attempt.token}"
        )
    except stripe.CardError as error:
        code = getattr(error, "code", "") or ""
        intent_ref = ((error.json_body or {}).get("error") or {}).get("payment_intent") or {}
        intent_ref = intent_ref.get("id", "") if isinstance(intent_ref, dict) else intent_ref
        failure = Failure.AUTHENTICATION if code == Failure.AUTHENTICATION else Failure.DECLINED
        _fail(attempt, failure, str(intent_ref or ""))
        return
    except stripe.StripeError:
        _fail(attempt, Failure.ERROR)
        return
    if intent.get("status") == "requires_action":
        _fail(attempt, Failure.AUTHENTICATION, intent["id"])
        return
    UpsellAttempt.objects.filter(pk=attempt.pk).update(payment_intent_ref=intent["id"])


def _charge_offline(attempt: UpsellAttempt, *, test_card: str) -> None:
    """The test card decides as Stripe would; a success arrives as a signed webhook event."""
    from billing.providers import stripe_test_checkout as offline

    intent_ref = offline._local_id("pi")
    if test_card in (Failure.DECLINED, Failure.AUTHENTICATION):
        _fail(attempt, test_card, intent_ref)
        return
    UpsellAttempt.objects.filter(pk=attempt.pk).update(payment_intent_ref=intent_ref)
    intent = {
        "id": intent_ref,
        "object": "payment_intent",
        "amount": attempt.amount,
        "amount_received": attempt.amount,
        "currency": attempt.currency.lower(),
        "customer": attempt.order.customer.provider_customer_id,
        "payment_method": offline._local_id("pm"),
        "latest_charge": offline._local_id("ch"),
        "status": "succeeded",
        "metadata": _metadata(attempt),
        "livemode": False,
    }
    body = offline._envelope("payment_intent.succeeded", intent, created=int(time.time()))
    if offline.deliver(body) >= 300:
        _fail(attempt, Failure.ERROR, intent_ref)


# --- the fallback: a Checkout page for the same price -----------------------------------------


def fallback_checkout_url(*, attempt: UpsellAttempt) -> str:
    """Stripe Checkout for the offered price at the offered amount (the buyer can authenticate
    or use another card there); offline, the local test checkout of that price."""
    from django.urls import reverse

    from billing.services.checkout import checkout_session_params

    price = attempt.offer.price
    if not stripe_api.is_configured():
        return reverse("billing:test_checkout", kwargs={"price_pk": price.pk})
    params = checkout_session_params(price=price, member=attempt.member)
    if attempt.amount != price.amount:
        params["line_items"] = [
            {
                "price_data": {
                    "currency": attempt.currency.lower(),
                    "unit_amount": attempt.amount,
                    "product_data": {"name": str(price.product)},
                },
                "quantity": 1,
            }
        ]
    return stripe_api.create_checkout_session(params).url
