"""A buyer name longer than the invoice's column is cut to fit; the payment is never lost."""

import pytest

from billing.models import Payment, ProviderEvent
from invoices.models import Document
from tests.factories import CourseFactory, PriceFactory
from tests.invoices.helpers import make_seller
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_long_buyer_name_does_not_lose_the_payment(postgres_only, deliver):
    make_seller()
    PriceFactory(product=CourseFactory(), stripe_price_id="price_course", amount=4900)
    name = "Ada " + "L" * 240  # Stripe accepts long names; members.services keeps [:200]

    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email="ada@example.test",
            name=name,
            session_id="cs_long",
        )
    )

    event = ProviderEvent.objects.get()
    assert event.status == "processed", event.error[-200:]
    assert Payment.objects.count() == 1
    assert Document.objects.count() == 1
