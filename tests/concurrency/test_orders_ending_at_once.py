"""PostgreSQL, real threads: two orders of one product ending at once (issue 11, item 8).

A member bought the same course twice; both purchases are refunded at the same moment on two
workers. Each refund asks whether the *other* order still covers the course. Without a lock on
the member's grants, each sees the other as paid (neither has committed), the grant moves to the
other order and stays open although nothing pays for it any more.
"""

from __future__ import annotations

import pytest
from django.test import Client

from billing.models import Order
from members.models import AccessGrant
from tests.conftest import STRIPE_URL, post_signed, run_concurrently
from tests.factories import PriceFactory
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def post(stripe_webhook_secret):
    def _post(body: str) -> None:
        response = post_signed(Client(), STRIPE_URL, body)
        assert response.status_code == 200, response.content

    return _post


@pytest.mark.parametrize("attempt", range(3))
def test_both_purchases_refunded_at_once_end_the_access(postgres_only, post, attempt):
    PriceFactory(stripe_price_id="price_course", amount=4900)
    for number in (1, 2):
        post(
            build_event(
                "checkout.session.completed",
                price_id="price_course",
                email="ada@x.test",
                session_id=f"cs_{number}",
                payment_intent=f"pi_{number}",
            )
        )
    refunds = [
        build_event("charge.refunded", payment_intent=f"pi_{number}", amount=4900)
        for number in (1, 2)
    ]

    errors = run_concurrently(post, arguments=[(body,) for body in refunds])

    assert errors == []
    assert sorted(Order.objects.values_list("status", flat=True)) == ["refunded", "refunded"]
    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.REVOKED, grant.events.last().reason
