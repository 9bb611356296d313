"""Concurrent clicks, concurrent success pages of one order and the charge's webhook delivered
several times at once on PostgreSQL: one off-session charge request, one upsell attempt, one
order, payment, invoice and grant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Customer, Order, Payment
from invoices.models import Document
from members.models import AccessGrant
from offers import upsell
from offers.models import UpsellAttempt
from tests.conftest import run_concurrently
from tests.factories import UserFactory
from tests.invoices.helpers import make_seller
from tests.offers.test_order_bump_races import apply_at_once, copies, stored
from tests.offers.upsell_helpers import CUSTOMER, FIRST_INTENT, intent_succeeded, make_upsell


def _paid_order(course_price) -> Order:
    member = UserFactory()
    customer = Customer.objects.create(
        member=member, provider="stripe", provider_customer_id=CUSTOMER
    )
    order = Order.objects.create(
        member=member,
        product=course_price.product,
        price=course_price,
        provider="stripe",
        provider_ref="cs_race",
        customer=customer,
        amount=4900,
        currency="EUR",
        status=Order.Status.PAID,
    )
    Payment.objects.create(
        order=order,
        provider="stripe",
        provider_ref="cs_race",
        payment_intent_ref=FIRST_INTENT,
        amount=4900,
        currency="EUR",
        paid_at=timezone.now(),
    )
    return order


@pytest.mark.django_db(transaction=True)
def test_twenty_clicks_at_once_send_one_charge(postgres_only, course_price, stripe_http):
    stripe_http.add(
        "GET",
        f"/v1/payment_intents/{FIRST_INTENT}",
        {"id": FIRST_INTENT, "object": "payment_intent", "customer": CUSTOMER,
         "payment_method": "pm_saved"},
    )  # fmt: skip
    stripe_http.add(
        "POST", "/v1/payment_intents", {"id": "pi_up", "object": "payment_intent", "status": "x"}
    )
    make_upsell(course_price)
    order = _paid_order(course_price)
    attempt = upsell.offer_for_success_page(
        order=order, session={}, member=None, now=timezone.now()
    )

    errors = run_concurrently(
        lambda: upsell.take_upsell(
            attempt=UpsellAttempt.objects.get(pk=attempt.pk), now=timezone.now()
        ),
        times=20,
    )

    assert errors == []
    creates = [r for r in stripe_http.requests if r["method"] == "POST"]
    assert len(creates) == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.payment_intent_ref) == ("charging", "pi_up")


@pytest.mark.django_db(transaction=True)
def test_twenty_success_pages_at_once_make_one_offer(postgres_only, course_price):
    make_upsell(course_price)
    order = _paid_order(course_price)
    now = timezone.now()
    sessions = [{} for _ in range(20)]

    errors = run_concurrently(
        lambda session: upsell.offer_for_success_page(
            order=order, session=session, member=None, now=now
        ),
        arguments=[(session,) for session in sessions],
    )

    assert errors == []
    assert UpsellAttempt.objects.count() == 1
    bound = [s for s in sessions if s.get(upsell.SESSION_KEY)]
    assert len(bound) == 1  # only the first page's session holds the token
    assert UpsellAttempt.objects.get().expires_at == order.created_at + timedelta(minutes=30)


@pytest.mark.django_db(transaction=True)
def test_the_charge_delivered_five_times_at_once_grants_once(
    postgres_only, stripe_webhook_secret, course_price
):
    make_seller()
    make_upsell(course_price)
    order = _paid_order(course_price)
    attempt = upsell.offer_for_success_page(
        order=order, session={}, member=None, now=timezone.now()
    )
    UpsellAttempt.objects.filter(pk=attempt.pk).update(
        status=UpsellAttempt.Status.CHARGING, payment_intent_ref="pi_up"
    )
    attempt.refresh_from_db()

    errors = apply_at_once(stored(copies(intent_succeeded(attempt), 5)))

    assert errors == []
    upsell_order = Order.objects.get(provider_ref="pi_up")
    assert (upsell_order.member, upsell_order.amount) == (order.member, 900)
    assert Payment.objects.filter(order=upsell_order).count() == 1
    assert Document.objects.filter(payment__order=upsell_order).count() == 1
    assert AccessGrant.objects.filter(product__slug="workbook").count() == 1
