"""PostgreSQL, real threads: deliveries at the same moment on several workers end up the same.

Each thread is a web worker: it posts a signed event through the test client; the commit queues
the task, which runs at once (eager Celery) in that thread, as a worker would.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import Order, Payment, ProviderEvent, Subscription
from billing.services import apply_provider_event
from members.models import AccessGrant, GrantEvent, User
from tests.conftest import STRIPE_URL, post_signed, run_concurrently
from tests.factories import PriceFactory, RecurringPriceFactory
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db(transaction=True)

T0 = 1_780_000_000
PERIOD_1 = T0 + 30 * 86400


@pytest.fixture
def post(stripe_webhook_secret):
    def _post(body: str) -> None:
        response = post_signed(Client(), STRIPE_URL, body)
        assert response.status_code == 200, response.content

    return _post


def test_five_concurrent_deliveries_give_one_order_one_grant_one_email(
    postgres_only, post, mailoutbox
):
    PriceFactory(stripe_price_id="price_course", amount=4900)
    body = build_event("checkout.session.completed", price_id="price_course", email="Ada@x.test")

    errors = run_concurrently(post, times=5, arguments=[(body,)] * 5)

    assert errors == []
    assert ProviderEvent.objects.get().status == "processed"
    assert User.objects.count() == 1
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert AccessGrant.objects.get().state == "active"
    assert GrantEvent.objects.count() == 1
    assert len(mailoutbox) == 1


def test_different_events_of_one_purchase_at_once_record_it_once(postgres_only, post, mailoutbox):
    RecurringPriceFactory(stripe_price_id="price_monthly", amount=2900)
    fields = {
        "price_id": "price_monthly",
        "subscription": "sub_1",
        "invoice_id": "in_1",
        "email": "ada@x.test",
        "period_end": PERIOD_1,
        "created": T0,
    }
    bodies = [
        build_event("invoice.paid", **fields),
        build_event("invoice.payment_succeeded", **fields),
        build_event("invoice.paid", **{**fields, "email": "ADA@X.TEST"}),
        build_event("customer.subscription.created", status="incomplete", **fields),
        build_event(
            "checkout.session.completed",
            mode="subscription",
            session_id="cs_1",
            payment_intent=None,
            **fields,
        ),
    ]

    errors = run_concurrently(post, arguments=[(body,) for body in bodies])

    assert errors == []
    assert set(ProviderEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert User.objects.count() == 1
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Subscription.objects.get().status == "active"
    grant = AccessGrant.objects.get()
    assert grant.state == "active"
    assert grant.paid_through.timestamp() == PERIOD_1
    assert len(mailoutbox) == 1


def test_subscription_created_and_invoice_paid_at_once_give_an_active_membership(
    postgres_only, post
):
    RecurringPriceFactory(stripe_price_id="price_monthly", amount=2900)
    created = build_event(
        "customer.subscription.created",
        subscription="sub_1",
        status="incomplete",
        price_id="price_monthly",
        created=T0,
    )
    paid = build_event(
        "invoice.paid",
        subscription="sub_1",
        price_id="price_monthly",
        email="ada@x.test",
        period_end=PERIOD_1,
        created=T0,
    )

    errors = run_concurrently(post, arguments=[(created,), (paid,)])

    assert errors == []
    assert Subscription.objects.get().status == "active"
    assert AccessGrant.objects.get().state == "active"


def test_deleted_and_an_older_updated_at_once_leave_it_ended(postgres_only, post):
    RecurringPriceFactory(stripe_price_id="price_monthly", amount=2900)
    post(
        build_event(
            "invoice.paid",
            subscription="sub_1",
            price_id="price_monthly",
            email="ada@x.test",
            period_end=PERIOD_1,
            created=T0,
        )
    )
    deleted = build_event("customer.subscription.deleted", subscription="sub_1", created=T0 + 200)
    updated = build_event(
        "customer.subscription.updated",
        subscription="sub_1",
        status="active",
        cancel_at_period_end=True,
        price_id="price_monthly",
        created=T0 + 100,
    )

    errors = run_concurrently(post, arguments=[(deleted,), (updated,)])

    assert errors == []
    assert Subscription.objects.get().status == "canceled"
    grant = AccessGrant.objects.get()
    assert grant.state == "expired"
    assert list(grant.events.values_list("kind", flat=True))[-1] == "expired"


def test_one_stored_event_processed_by_five_workers_applies_once(postgres_only, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_unused"
    PriceFactory(stripe_price_id="price_course", amount=4900)
    body = build_event("checkout.session.completed", price_id="price_course", email="ada@x.test")
    import json

    payload = json.loads(body)
    event = ProviderEvent.objects.create(
        provider="stripe",
        event_id=payload["id"],
        event_type=payload["type"],
        payload=payload,
        received_at=timezone.now(),
    )

    def work() -> None:
        apply_provider_event(event_pk=event.pk, now=timezone.now())

    errors = run_concurrently(work, times=5)

    assert errors == []
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 1)
    assert AccessGrant.objects.count() == 1
    assert GrantEvent.objects.count() == 1
