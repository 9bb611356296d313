"""End to end through billing's Stripe webhook (issue 4): purchase, invoice, refund, credit note.

Billing creates the payment and calls our services in its transaction; nothing is stubbed but
the clock-free parts of Stripe's payloads (API-shaped events with the real signature).
"""

import re

import pytest

from invoices.models import Document, DocumentKind
from tests.invoices.helpers import make_seller, pdf_text
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_price(db):
    from tests.factories import CourseFactory, PriceFactory

    return PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course"),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )


def test_purchase_then_full_refund_gives_invoice_and_credit_note(
    client, deliver, live_site, course_price, mailoutbox
):
    make_seller()
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email="ada@example.test",
            name="Ada Lovelace",
            amount=4900,
            payment_intent="pi_ada",
            session_id="cs_ada",
            livemode=True,
        )
    )

    invoice = Document.objects.get(kind=DocumentKind.INVOICE)
    assert re.fullmatch(r"RE-20\d\d-000001", invoice.number)  # numbered in the current year
    assert (invoice.gross_total, invoice.payment_reference) == (4900, "cs_ada")
    assert (invoice.buyer_address, invoice.buyer_country) == ("Hauptstr. 1\n10115 Berlin", "DE")
    assert [m.subject for m in mailoutbox if m.attachments] == [f"Your invoice {invoice.number}"]
    client.force_login(invoice.member)
    listed = client.get("/members/invoices/").content.decode()
    assert f"/members/invoices/{invoice.number}/pdf/" in listed
    text = pdf_text(client.get(f"/members/invoices/{invoice.number}/pdf/").content)
    assert all(
        part in text for part in (invoice.number, "Ada Lovelace", "Calm Money GmbH", "49.00")
    )

    deliver(
        build_event(
            "charge.refunded",
            payment_intent="pi_ada",
            amount=4900,
            amount_refunded=4900,
            livemode=True,
        )
    )

    note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert (note.corrects, note.gross_total) == (invoice, -4900)
    note_text = pdf_text(client.get(f"/members/invoices/{note.number}/pdf/").content)
    assert f"This credit note corrects invoice {invoice.number}." in note_text
