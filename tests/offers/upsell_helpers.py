"""Shared set-up of the one-click upsell tests: a course whose buyers are offered a workbook."""

from __future__ import annotations

import json
import time

from offers.models import UpsellAttempt, UpsellOffer
from tests.factories import PriceFactory, ProductFactory
from tests.payloads.stripe import build_event

FIRST_SESSION = "cs_test_first_purchase"
FIRST_INTENT = "pi_first_purchase"
CUSTOMER = "cus_buyer"
SUCCESS = f"/billing/checkout/success/?session_id={FIRST_SESSION}"


def make_upsell(course_price, *, amount: int | None = 900) -> UpsellOffer:
    workbook = PriceFactory(
        product=ProductFactory(name="Workbook", slug="workbook"),
        stripe_price_id="price_workbook",
        amount=1900,
        currency="EUR",
    )
    return UpsellOffer.objects.create(product=course_price.product, price=workbook, amount=amount)


def first_purchase(deliver, *, session_id: str = FIRST_SESSION, intent: str = FIRST_INTENT):
    """The course bought through Stripe Checkout (its signed ``checkout.session.completed``)."""
    response = deliver(
        build_event(
            "checkout.session.completed",
            session_id=session_id,
            payment_intent=intent,
            customer=CUSTOMER,
            price_id="price_course",
            email="ada@example.test",
        )
    )
    assert response.status_code == 200


def intent_succeeded(attempt: UpsellAttempt, *, shape: str = "basil", intent_ref: str = "") -> str:
    """``payment_intent.succeeded`` of the upsell charge. Since API 2022-11-15 the charge is
    ``latest_charge``; before, the intent embedded a ``charges`` list."""
    intent = {
        "id": intent_ref or attempt.payment_intent_ref,
        "object": "payment_intent",
        "amount": attempt.amount,
        "amount_received": attempt.amount,
        "currency": attempt.currency.lower(),
        "customer": CUSTOMER,
        "payment_method": "pm_saved_card",
        "status": "succeeded",
        "metadata": {
            "upsell_offer": attempt.token,
            "price_id": "price_workbook",
            "member": str(attempt.member_id),
            "language": "en",
        },
        "livemode": False,
    }
    if shape == "basil":
        intent["latest_charge"] = "ch_upsell"
    else:
        intent["charges"] = {"object": "list", "data": [{"id": "ch_upsell", "object": "charge"}]}
    event = json.loads(build_event("payment_intent.succeeded", shape=shape))
    event["data"]["object"] = intent
    event["created"] = int(time.time())
    return json.dumps(event)
