"""Number formats the seller settings accept work end to end: without a year (numbering goes
on across years) and with a slash (the member pages link to them)."""

from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import Payment, ProviderEvent
from invoices.models import Document, SellerSettings
from invoices.services import issue_invoice_for_payment
from tests.factories import CourseFactory, PriceFactory
from tests.invoices.helpers import NOW, make_payment, make_seller
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


def test_a_format_without_the_year_numbers_on_into_the_next_year(deliver, live_site):
    """Plain consecutive numbering ("RE-00001", legal in Germany) passes validation, but the
    counter restarts every year: the first invoice of 2027 collides with RE-00001 of 2026, the
    IntegrityError rolls back the webhook's transaction and the payment is never recorded."""
    seller = make_seller(invoice_number_format="RE-{number:05d}")
    seller.full_clean()  # the admin form accepts this format
    PriceFactory(product=CourseFactory(), stripe_price_id="price_course", amount=4900)

    for when, session in (
        (datetime(2026, 6, 1, 10, tzinfo=UTC), "cs_2026"),
        (datetime(2027, 1, 5, 10, tzinfo=UTC), "cs_2027"),
    ):
        with time_machine.travel(when, tick=False):
            deliver(
                build_event(
                    "checkout.session.completed",
                    price_id="price_course",
                    email="ada@example.test",
                    session_id=session,
                    livemode=True,
                )
            )

    assert sorted(ProviderEvent.objects.values_list("status", flat=True)) == ["processed"] * 2
    assert Payment.objects.count() == 2
    assert sorted(Document.objects.values_list("number", flat=True)) == ["RE-00001", "RE-00002"]


def test_a_number_format_with_a_slash_is_linked_from_the_members_page(client):
    """ "INV/{year}/{number:04d}" is accepted (the repo's own test uses it), but the member's
    invoice list reverses ``<str:number>`` URLs, which cannot contain "/": the page crashes."""
    make_seller(invoice_number_format="INV/{year}/{number:04d}")
    SellerSettings.objects.get().full_clean()
    payment = make_payment()
    invoice = issue_invoice_for_payment(payment=payment, now=NOW)
    assert invoice.number == "INV/2026/0001"
    client.force_login(payment.order.member)
    client.raise_request_exception = False

    response = client.get("/members/invoices/")

    assert response.status_code == 200
