"""PostgreSQL, real threads: the same plan change or pause reported by several events at once
(the portal's update, its repeat, a renewal invoice) moves access once."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from members.models import AccessGrant, GrantEvent, GrantPause
from tests.conftest import STRIPE_URL, post_signed, run_concurrently
from tests.factories import RecurringPriceFactory
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


@pytest.fixture
def subscriber(post):
    RecurringPriceFactory(product__slug="basic", stripe_price_id="price_basic", amount=1900)
    RecurringPriceFactory(product__slug="premium", stripe_price_id="price_premium", amount=4900)
    post(
        build_event(
            "invoice.paid",
            price_id="price_basic",
            subscription="sub_1",
            invoice_id="in_1",
            email="ada@x.test",
            period_end=PERIOD_1,
            created=T0,
        )  # fmt: skip
    )


def update(*, created: int, **extra) -> str:
    body = json.loads(
        build_event(
            "customer.subscription.updated",
            subscription="sub_1",
            price_id="price_premium",
            created=created,
            period_end=PERIOD_1,
        )  # fmt: skip
    )
    body["data"]["object"].update(extra)
    return json.dumps(body)


def test_five_deliveries_of_one_upgrade_at_once_move_access_once(postgres_only, post, subscriber):
    bodies = [update(created=T0 + 100) for _ in range(4)]
    bodies.append(
        build_event(
            "invoice.paid",
            price_id="price_premium",
            subscription="sub_1",
            invoice_id="in_2",
            email="ada@x.test",
            period_end=PERIOD_1,
            created=T0 + 101,
        )  # fmt: skip
    )

    errors = run_concurrently(post, arguments=[(body,) for body in bodies])

    assert errors == []
    basic = AccessGrant.objects.get(product__slug="basic")
    premium = AccessGrant.objects.get(product__slug="premium")
    assert (basic.state, premium.state) == ("expired", "active")
    assert basic.events.filter(kind=GrantEvent.Kind.EXPIRED).count() == 1
    assert premium.events.filter(kind=GrantEvent.Kind.GRANTED).count() == 1


def test_five_deliveries_of_one_pause_at_once_pause_once(postgres_only, post, subscriber):
    pause = {"pause_collection": {"behavior": "void", "resumes_at": None}}
    bodies = [
        update(created=T0 + 100, items={"data": [{"price": {"id": "price_basic"}}]}, **pause)
        for _ in range(5)
    ]

    errors = run_concurrently(post, arguments=[(body,) for body in bodies])

    assert errors == []
    grant = AccessGrant.objects.get()
    assert grant.paused_since is not None
    assert GrantPause.objects.count() == 1
    assert grant.events.filter(kind=GrantEvent.Kind.PAUSED).count() == 1
