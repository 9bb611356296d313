"""The local test checkout: Stripe-shaped, correctly signed events delivered to our own webhook.

Used only while ``STRIPE_SECRET_KEY`` is unset (offline test mode, e.g. ``make run`` on the
defaults). The events go through the real intake view (signature check, storage, queueing) and
the real processing; they are marked test mode (``livemode: false``).
"""

from __future__ import annotations

import calendar
import io
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import stripe
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.urls import resolve, reverse
from django.utils import translation

from billing.providers.stripe import webhook_secrets
from products.models import Price
from products.sellable import offline_price_ref, test_checkout_is_available

if TYPE_CHECKING:
    from billing.providers.base import WaiverConsent
    from billing.services.checkout import StoreCreditDiscount
    from offers.bumps import OfferedBump
    from offers.selectors import CheckoutCoupon


class TestCheckoutUnavailable(RuntimeError):
    pass


def is_available() -> bool:
    """Offline test mode: only on a development site (DEBUG on) without a Stripe API key.

    A production site that sells through Stripe Payment Links has a webhook secret but no key;
    there the test checkout would sign free purchases with the real secret, so it is off.
    """
    return test_checkout_is_available()


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(*, price: Price, start: datetime) -> datetime:
    if price.trial_days:
        return start + timedelta(days=price.trial_days)
    count = price.interval_count or 1
    if price.interval == Price.Interval.DAY:
        return start + timedelta(days=count)
    if price.interval == Price.Interval.WEEK:
        return start + timedelta(weeks=count)
    if price.interval == Price.Interval.YEAR:
        return _add_months(start, 12 * count)
    return _add_months(start, count)


def _local_id(prefix: str) -> str:
    return f"{prefix}_test_local_{secrets.token_hex(10)}"


def _envelope(event_type: str, obj: dict, *, created: int) -> str:
    return json.dumps(
        {
            "id": _local_id("evt"),
            "object": "event",
            "api_version": "2025-06-30.basil",
            "created": created,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    )


def _language() -> str:
    """The language the buyer sees the test checkout in, as a real session would carry it."""
    return translation.get_language() or settings.LANGUAGE_CODE


def _credit_metadata(credit: StoreCreditDiscount | None) -> dict:
    return credit.metadata() if credit is not None else {}


def _discount(credit: StoreCreditDiscount | None, coupon: CheckoutCoupon | None = None) -> int:
    if coupon is not None:
        return coupon.amount
    return credit.amount if credit is not None else 0


def _coupon_metadata(coupon: CheckoutCoupon | None) -> dict:
    return {"coupon_code": coupon.code} if coupon is not None else {}


def _session_discounts(coupon: CheckoutCoupon | None) -> list[dict]:
    """Checkout's ``discounts[]``: the coupon and promotion code the buyer's code named."""
    if coupon is None:
        return []
    return [{"coupon": coupon.coupon_ref, "promotion_code": coupon.promotion_code_ref}]


def _waiver_metadata(waiver: WaiverConsent | None) -> dict:
    """The waiver's version (and the buyer's IP, which our own form knows), as our Checkout
    Session's metadata names it; Stripe's ``consent`` says the box was ticked."""
    if waiver is None:
        return {}
    return {"withdrawal_waiver": waiver.version, "withdrawal_waiver_ip": waiver.ip}


def _bump_metadata(bump: OfferedBump | None) -> dict:
    """The order bump's line, named in our metadata as ``offers.bumps.add_bump_line`` does."""
    return {"bump_id": str(bump.pk), "bump_amount": str(bump.amount)} if bump else {}


def _session(
    *,
    price: Price,
    email: str,
    name: str,
    ids: dict,
    mode: str,
    credit=None,
    coupon=None,
    bump: OfferedBump | None = None,
    waiver: WaiverConsent | None = None,
) -> dict:
    language = _language()
    subtotal = price.amount + (bump.amount if bump is not None else 0)
    total = subtotal - _discount(credit, coupon) if mode == "payment" else price.amount
    return {
        "id": ids["session"],
        "object": "checkout.session",
        "mode": mode,
        "status": "complete",
        "payment_status": "paid" if price.amount else "no_payment_required",
        "amount_subtotal": subtotal,
        "amount_total": total,
        "total_details": {"amount_discount": subtotal - total},
        "discounts": _session_discounts(coupon) if mode == "payment" else [],
        "currency": price.currency.lower(),
        "customer": ids["customer"],
        "customer_details": {"email": email, "name": name, "address": None, "tax_ids": []},
        "customer_email": email,
        "metadata": {
            "price_id": offline_price_ref(price),
            "language": language,
            **_credit_metadata(credit),
            **_coupon_metadata(coupon),
            **_bump_metadata(bump),
            **_waiver_metadata(waiver),
        },
        "consent": {"terms_of_service": "accepted"} if waiver is not None else None,
        "locale": language.split("-")[0],
        "payment_intent": ids.get("payment_intent") if mode == "payment" else None,
        "subscription": ids.get("subscription"),
        "invoice": ids.get("invoice"),
        "livemode": False,
    }


def _invoice_discounts(coupon: CheckoutCoupon | None, subtotal: int, amount: int) -> dict:
    """An invoice's discount fields as Stripe sends them since 2025: the discount's id only
    (our metadata names the code) and ``total_discount_amounts``."""
    if coupon is None or subtotal == amount:
        return {"discounts": [], "total_discount_amounts": []}
    discount_ref = _local_id("di")
    return {
        "discounts": [discount_ref],
        "total_discount_amounts": [{"amount": subtotal - amount, "discount": discount_ref}],
    }


def _subscription_events(
    *,
    price: Price,
    email: str,
    name: str,
    ids: dict,
    now: int,
    credit=None,
    coupon=None,
    waiver: WaiverConsent | None = None,
) -> list[str]:
    start = datetime.fromtimestamp(now, tz=UTC)
    end = int(period_end(price=price, start=start).timestamp())
    subtotal = 0 if price.trial_days else price.amount
    amount = 0 if price.trial_days else price.amount - _discount(credit, coupon)
    item = {"id": _local_id("si"), "price": {"id": offline_price_ref(price)}, "quantity": 1}
    subscription = {
        "id": ids["subscription"],
        "object": "subscription",
        "customer": ids["customer"],
        "status": "trialing" if price.trial_days else "active",
        "cancel_at_period_end": False,
        "items": {"object": "list", "data": [{**item, "current_period_end": end}]},
        "livemode": False,
    }
    invoice = {
        "id": ids["invoice"],
        "object": "invoice",
        "billing_reason": "subscription_create",
        "customer": ids["customer"],
        "customer_email": email,
        "customer_name": name,
        "amount_paid": amount,
        "subtotal": subtotal,
        "total": amount,
        **_invoice_discounts(coupon, subtotal, amount),
        "currency": price.currency.lower(),
        "status": "paid",
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": _local_id("il"),
                    "amount": amount,
                    "pricing": {"price_details": {"price": offline_price_ref(price)}},
                    "period": {"start": now, "end": end},
                }
            ],
        },
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": ids["subscription"],
                "metadata": {
                    "price_id": offline_price_ref(price),
                    "language": _language(),
                    **_credit_metadata(credit),
                    **_coupon_metadata(coupon),
                    **_waiver_metadata(waiver),
                },
            },
        },
        "livemode": False,
    }
    session = _session(
        price=price,
        email=email,
        name=name,
        ids=ids,
        mode="subscription",
        credit=credit,
        coupon=coupon,
        waiver=waiver,
    )
    return [
        _envelope("customer.subscription.created", subscription, created=now),
        _envelope("checkout.session.completed", session, created=now),
        _envelope("invoice.paid", invoice, created=now),
    ]


def build_test_checkout_events(
    *,
    price: Price,
    email: str,
    name: str = "",
    credit: StoreCreditDiscount | None = None,
    coupon: CheckoutCoupon | None = None,
    bump: OfferedBump | None = None,
    waiver: WaiverConsent | None = None,
) -> tuple[str, list]:
    """The session id and the event bodies Stripe would send for this purchase (with the
    member's store credit, or the buyer's coupon, taken off as a real session would)."""
    now = int(time.time())
    ids = {"session": _local_id("cs"), "customer": _local_id("cus")}
    if price.is_recurring:
        ids.update(subscription=_local_id("sub"), invoice=_local_id("in"))
        return ids["session"], _subscription_events(
            price=price, email=email, name=name, ids=ids, now=now, credit=credit, coupon=coupon,
            waiver=waiver,
        )  # fmt: skip
    ids["payment_intent"] = _local_id("pi")
    session = _session(
        price=price,
        email=email,
        name=name,
        ids=ids,
        mode="payment",
        credit=credit,
        coupon=coupon,
        bump=bump,
        waiver=waiver,
    )
    return ids["session"], [_envelope("checkout.session.completed", session, created=now)]


def deliver(body: str) -> int:
    """Sign the body like Stripe and hand it to our webhook view in-process; its status code."""
    if not is_available():
        raise TestCheckoutUnavailable("the offline test checkout is off (DEBUG off or a key set)")
    secrets_ = webhook_secrets()
    if not secrets_:
        raise TestCheckoutUnavailable("STRIPE_WEBHOOK_SECRET is not set")
    header = stripe.WebhookSignature.generate_signature_header(body, secrets_[0])
    raw = body.encode()
    path = reverse("billing:stripe_webhook")
    request = WSGIRequest(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)),
            "HTTP_STRIPE_SIGNATURE": header,
            "wsgi.input": io.BytesIO(raw),
        }
    )
    return resolve(path).func(request).status_code


def complete_test_checkout(
    *,
    price: Price,
    email: str,
    name: str = "",
    credit: StoreCreditDiscount | None = None,
    coupon: CheckoutCoupon | None = None,
    bump: OfferedBump | None = None,
    waiver: WaiverConsent | None = None,
) -> str:
    """Deliver the purchase's events; returns the Checkout Session id for the success page."""
    session_ref, bodies = build_test_checkout_events(
        price=price, email=email, name=name, credit=credit, coupon=coupon, bump=bump,
        waiver=waiver,
    )  # fmt: skip
    for body in bodies:
        status = deliver(body)
        if status >= 300:
            raise TestCheckoutUnavailable(f"our webhook answered {status}")
    return session_ref


def complete_test_upgrade(*, price: Price, email: str, amount: int, metadata: dict) -> str:
    """The one-off purchase of ``price`` for ``amount`` (an upgrade's difference) with our
    ``metadata`` (which names the upgrade offer); returns the Checkout Session id."""
    session_ref, bodies = build_test_checkout_events(price=price, email=email)
    event = json.loads(bodies[0])
    session = event["data"]["object"]
    session.update(amount_subtotal=amount, amount_total=amount, metadata=dict(metadata))
    status = deliver(json.dumps(event))
    if status >= 300:
        raise TestCheckoutUnavailable(f"our webhook answered {status}")
    return session_ref


# --- the stand-in for Stripe's customer portal ------------------------------------------------


def subscription_object(subscription, *, cancel_at_period_end: bool) -> dict:
    """The Stripe subscription object of a test-mode subscription, as Stripe would show it."""
    order = subscription.order
    end = subscription.current_period_end
    end_stamp = int(end.timestamp()) if end else None
    price_ref = offline_price_ref(order.price) if order.price else ""
    return {
        "id": subscription.provider_ref,
        "object": "subscription",
        "customer": order.customer.provider_customer_id if order.customer else None,
        "status": subscription.status,  # our statuses are Stripe's own words
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": end_stamp if cancel_at_period_end else None,
        "canceled_at": int(time.time()) if cancel_at_period_end else None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": _local_id("si"),
                    "price": {"id": price_ref},
                    "quantity": 1,
                    "current_period_end": end_stamp,
                }
            ],
        },
        "livemode": False,
    }


def deliver_subscription_update(subscription, *, cancel_at_period_end: bool) -> dict:
    """Change a test-mode subscription as the portal would: a signed
    ``customer.subscription.updated`` goes to our own webhook. Returns the new object, as
    Stripe's API would answer ``Subscription.modify``."""
    if not subscription.order.is_test or subscription.provider != "stripe":
        raise TestCheckoutUnavailable("only a test-mode Stripe subscription changes offline")
    obj = subscription_object(subscription, cancel_at_period_end=cancel_at_period_end)
    status = deliver(_envelope("customer.subscription.updated", obj, created=int(time.time())))
    if status >= 300:
        raise TestCheckoutUnavailable(f"our webhook answered {status}")
    return obj
