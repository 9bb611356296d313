"""The one-click upsell with Stripe's API (its HTTP layer stubbed): offered once per order on
the success page, charged once off-session, granted only by ``payment_intent.succeeded``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from billing.models import Order, Payment
from billing.services.checkout import checkout_session_params
from invoices.models import Document
from members.models import AccessGrant
from offers.models import UpsellAttempt
from tests.factories import RecurringPriceFactory, UserFactory
from tests.invoices.helpers import make_seller
from tests.offers.upsell_helpers import (
    CUSTOMER,
    FIRST_INTENT,
    SUCCESS,
    first_purchase,
    intent_succeeded,
    make_upsell,
)

pytestmark = pytest.mark.django_db

INTENTS = "/v1/payment_intents"


@pytest.fixture
def stripe_site(stripe_webhook_secret, stripe_http):
    """A Stripe key (the API stubbed) and the webhook secret; the first payment's intent
    names the card Checkout saved."""
    stripe_http.add(
        "GET",
        f"{INTENTS}/{FIRST_INTENT}",
        {
            "id": FIRST_INTENT,
            "object": "payment_intent",
            "customer": CUSTOMER,
            "payment_method": "pm_saved_card",
            "status": "succeeded",
        },
    )
    stripe_http.add(
        "POST",
        INTENTS,
        {"id": "pi_upsell", "object": "payment_intent", "status": "succeeded", "amount": 900},
    )
    return stripe_http


def _take(client, attempt):
    return client.post(
        f"/offers/upsell/{attempt.token}/take/", {"session_id": "cs_test_first_purchase"}
    )


def _creates(stripe_http) -> list[dict]:
    return [r for r in stripe_http.requests if r["method"] == "POST" and r["path"] == INTENTS]


def _owns_workbook(member=None) -> bool:
    grants = AccessGrant.objects.filter(product__slug="workbook")
    return grants.filter(member=member).exists() if member else grants.exists()


def test_the_first_checkout_of_a_product_with_an_upsell_saves_the_card(course_price):
    plain = checkout_session_params(price=course_price, member=None)
    assert "payment_intent_data" not in plain

    make_upsell(course_price)
    params = checkout_session_params(price=course_price, member=None)

    assert params["payment_intent_data"] == {"setup_future_usage": "off_session"}
    assert params["customer_creation"] == "always"


def test_a_subscription_checkout_is_not_changed(course_price):
    make_upsell(course_price)
    monthly = RecurringPriceFactory(product=course_price.product, stripe_price_id="price_m")
    assert "payment_intent_data" not in checkout_session_params(price=monthly, member=None)


def test_the_success_page_offers_the_next_product_once_per_order(
    client, course_price, stripe_site, deliver
):
    make_upsell(course_price)
    first_purchase(deliver)

    page = client.get(SUCCESS).content.decode()
    again = client.get(SUCCESS).content.decode()

    assert "Add Workbook for €9.00" in page
    assert "Add Workbook for €9.00" in again
    assert UpsellAttempt.objects.count() == 1
    attempt = UpsellAttempt.objects.get()
    client.post(f"/offers/upsell/{attempt.token}/no-thanks/", {"session_id": "x"})
    assert "Add Workbook" not in client.get(SUCCESS).content.decode()

    first_purchase(deliver, session_id="cs_test_second", intent="pi_second")
    second = client.get("/billing/checkout/success/?session_id=cs_test_second")
    assert "Add Workbook for €9.00" in second.content.decode()
    assert UpsellAttempt.objects.count() == 2


def test_the_offer_expires_30_minutes_after_the_purchase(
    client, course_price, stripe_site, deliver
):
    make_upsell(course_price)
    first_purchase(deliver)
    assert "Add Workbook" in client.get(SUCCESS).content.decode()
    attempt = UpsellAttempt.objects.get()

    with time_machine.travel(attempt.order.created_at + timedelta(minutes=29, seconds=50)):
        assert "Add Workbook" in client.get(SUCCESS).content.decode()
    with time_machine.travel(attempt.order.created_at + timedelta(minutes=30, seconds=1)):
        assert "Add Workbook" not in client.get(SUCCESS).content.decode()
        response = _take(client, attempt)
        assert "This offer has expired." in client.get(response.url).content.decode()

    assert _creates(stripe_site) == []
    assert not _owns_workbook()


def test_a_success_page_opened_after_30_minutes_offers_nothing(
    client, course_price, stripe_site, deliver
):
    make_upsell(course_price)
    first_purchase(deliver)
    order = Order.objects.get()
    with time_machine.travel(order.created_at + timedelta(minutes=31)):
        assert "Add Workbook" not in client.get(SUCCESS).content.decode()
    assert not UpsellAttempt.objects.exists()


def test_clicked_twice_charges_once_and_grants_only_on_the_webhook(
    client, course_price, stripe_site, deliver
):
    make_seller()
    make_upsell(course_price)
    first_purchase(deliver)
    client.get(SUCCESS)
    attempt = UpsellAttempt.objects.get()

    _take(client, attempt)
    _take(client, attempt)

    [create] = _creates(stripe_site)
    assert create["headers"]["Idempotency-Key"] == f"upsell-{attempt.token}"
    params = create["params"]
    assert params["amount"] == "900"
    assert params["currency"] == "eur"
    assert params["customer"] == CUSTOMER
    assert params["payment_method"] == "pm_saved_card"
    assert params["confirm"] == "true"
    assert params["off_session"] == "true"
    assert params["metadata[upsell_offer]"] == attempt.token
    assert params["metadata[price_id]"] == "price_workbook"
    assert not _owns_workbook()  # the click grants nothing
    assert "We are processing your payment for Workbook." in client.get(SUCCESS).content.decode()

    attempt.refresh_from_db()
    deliver(intent_succeeded(attempt))
    deliver(intent_succeeded(attempt))  # delivered again (another event id)

    member = Order.objects.get(provider_ref="cs_test_first_purchase").member
    assert _owns_workbook(member)
    assert AccessGrant.objects.filter(product__slug="workbook").count() == 1
    upsell_order = Order.objects.get(provider_ref="pi_upsell")
    assert (upsell_order.member, upsell_order.amount) == (member, 900)
    assert Payment.objects.filter(order=upsell_order).count() == 1
    assert Document.objects.filter(payment__order=upsell_order).count() == 1
    assert "Workbook is yours." in client.get(SUCCESS).content.decode()


@pytest.mark.parametrize("shape", ["basil", "2020-08-27"])
def test_both_api_shapes_of_the_succeeded_intent_record_the_charge(
    client, course_price, stripe_site, deliver, shape
):
    make_upsell(course_price)
    first_purchase(deliver)
    client.get(SUCCESS)
    attempt = UpsellAttempt.objects.get()
    _take(client, attempt)
    attempt.refresh_from_db()

    deliver(intent_succeeded(attempt, shape=shape))

    payment = Payment.objects.get(order__provider_ref="pi_upsell")
    assert (payment.payment_intent_ref, payment.charge_ref) == ("pi_upsell", "ch_upsell")
    assert _owns_workbook()


def test_a_checkout_payment_intent_grants_nothing_of_its_own(
    client, course_price, stripe_site, deliver
):
    """Stripe sends ``payment_intent.succeeded`` for every Checkout payment too."""
    make_upsell(course_price)
    first_purchase(deliver)
    attempt = UpsellAttempt(token="", amount=4900, currency="EUR", member_id=0)
    body = intent_succeeded(attempt, intent_ref=FIRST_INTENT).replace(
        '"upsell_offer": ""', '"other": ""'
    )
    deliver(body)
    assert Order.objects.count() == 1


def _decline(stripe_http, code: str) -> None:
    error = {
        "error": {
            "type": "card_error",
            "code": code,
            "message": "Your card was declined.",
            "payment_intent": {
                "id": "pi_declined",
                "object": "payment_intent",
                "status": "requires_payment_method"
                if code == "card_declined"
                else "requires_action",
            },
        }
    }
    stripe_http.add("POST", INTENTS, error, status=402)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("card_declined", "Your card could not be charged."),
        ("authentication_required", "Your bank wants you to confirm this payment."),
    ],
)
def test_a_declined_or_unauthenticated_charge_grants_nothing_and_offers_checkout(
    client, course_price, stripe_site, deliver, code, message
):
    make_upsell(course_price)
    first_purchase(deliver)
    client.get(SUCCESS)
    attempt = UpsellAttempt.objects.get()
    _decline(stripe_site, code)

    _take(client, attempt)
    page = client.get(SUCCESS).content.decode()

    attempt.refresh_from_db()
    assert (attempt.status, attempt.payment_intent_ref) == ("failed", "pi_declined")
    assert message in page
    assert "Pay for Workbook on the checkout page" in page
    assert not _owns_workbook()

    stripe_site.add(
        "POST",
        "/v1/checkout/sessions",
        {"id": "cs_fallback", "object": "checkout.session", "url": "https://checkout.test/cs"},
    )
    response = client.post(f"/offers/upsell/{attempt.token}/checkout/", {"session_id": "x"})

    assert response.url == "https://checkout.test/cs"
    session = [r for r in stripe_site.requests if r["path"] == "/v1/checkout/sessions"][0]
    assert session["params"]["line_items[0][price_data][unit_amount]"] == "900"
    assert session["params"]["metadata[price_id]"] == "price_workbook"
    assert session["params"]["customer"] == CUSTOMER
    assert len(_creates(stripe_site)) == 1  # no second off-session attempt


def test_the_offer_cannot_be_seen_or_taken_by_another_member(
    client, course_price, stripe_site, deliver
):
    make_upsell(course_price)
    first_purchase(deliver)
    client.get(SUCCESS)
    attempt = UpsellAttempt.objects.get()
    other = Client()
    other.force_login(UserFactory(email="eve@example.test"))

    assert "Add Workbook" not in other.get(SUCCESS).content.decode()
    assert other.post(f"/offers/upsell/{attempt.token}/take/").status_code == 404
    assert other.get(f"/offers/upsell/{attempt.token}/status/").status_code == 404
    assert other.post(f"/offers/upsell/{attempt.token}/no-thanks/").status_code == 404
    assert _creates(stripe_site) == []

    # The order's member, logged in on another device, may see it.
    owner = Client()
    owner.force_login(attempt.member)
    assert owner.get(f"/offers/upsell/{attempt.token}/status/").status_code == 200


def test_without_a_saved_card_checkout_is_offered(client, course_price, stripe_site, deliver):
    stripe_site.add(
        "GET",
        f"{INTENTS}/{FIRST_INTENT}",
        {"id": FIRST_INTENT, "object": "payment_intent", "customer": None, "payment_method": None},
    )
    make_upsell(course_price)
    first_purchase(deliver)
    client.get(SUCCESS)
    _take(client, UpsellAttempt.objects.get())
    assert "Pay for Workbook on the checkout page" in client.get(SUCCESS).content.decode()
    assert _creates(stripe_site) == []
