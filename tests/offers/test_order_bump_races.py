"""The same checkout with its bump, and the bump line's refund, delivered several times at once
(distinct Stripe event ids: Stripe's retries) on PostgreSQL: recorded, granted and credited once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from billing.models import Order, Payment, ProviderEvent
from invoices.models import Document
from members.models import AccessGrant
from offers.models import BumpPurchase
from tests.conftest import run_concurrently
from tests.invoices.helpers import make_seller
from tests.offers.bump_helpers import bump_session
from tests.payloads.stripe import build_event

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def stored(bodies: list[str]) -> list[int]:
    from django.test import Client

    from tests.conftest import STRIPE_URL, post_signed

    for body in bodies:  # stored by the intake; processed below all at once
        assert post_signed(Client(), STRIPE_URL, body).status_code == 200
    return list(ProviderEvent.objects.order_by("pk").values_list("pk", flat=True))


def apply_at_once(pks: list[int]) -> list:
    from billing.services.events import apply_provider_event

    return run_concurrently(
        lambda pk: apply_provider_event(event_pk=pk, now=NOW), arguments=[(pk,) for pk in pks]
    )


def copies(body: str, count: int) -> list[str]:
    event = json.loads(body)
    bodies = []
    for number in range(count):
        event["id"] = f"evt_copy_{number}"
        bodies.append(json.dumps(event))
    return bodies


@pytest.mark.django_db(transaction=True)
def test_five_deliveries_of_one_checkout_at_once_record_the_bump_once(
    postgres_only, stripe_webhook_secret, course_price, bump
):
    make_seller()
    pks = stored(copies(bump_session(bump, email="ada@x.test", session_id="cs_race"), 5))

    errors = apply_at_once(pks)

    assert errors == []
    assert Order.objects.count() == 2
    assert BumpPurchase.objects.count() == 1
    assert AccessGrant.objects.count() == 2
    assert Document.objects.filter(kind="invoice").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_bump_refund_delivered_five_times_at_once_credits_once(
    postgres_only, stripe_webhook_secret, course_price, bump
):
    make_seller()
    apply_at_once(stored([bump_session(bump, email="ada@x.test")]))
    payment = Payment.objects.get()
    refund = build_event(
        "charge.refunded",
        amount=5800,
        amount_refunded=900,
        payment_intent=payment.payment_intent_ref,
    )
    first = ProviderEvent.objects.count()
    pks = stored(copies(refund, 5))[first:]

    errors = apply_at_once(pks)

    assert errors == []
    assert Document.objects.filter(kind="credit_note").count() == 1
    assert set(
        AccessGrant.objects.filter(state=AccessGrant.State.ACTIVE).values_list(
            "product__name", flat=True
        )
    ) == {"Habit course"}
