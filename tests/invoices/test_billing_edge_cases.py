"""How billing feeds the invoices app: the buyer's full address, a refund reported after a
lost dispute."""

import json
from datetime import UTC, datetime

import pytest

from billing.models import Payment
from billing.providers.base import ChargedBack, Refunded
from billing.services.refunds import record_chargeback, record_refund
from invoices.models import Document, DocumentKind
from invoices.services import issue_invoice_for_payment
from tests.factories import RecurringPriceFactory
from tests.invoices.helpers import NOW, make_payment, make_seller
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


def test_subscription_invoice_keeps_the_buyers_postal_code(deliver):
    """A subscription's first payment arrives as invoice.paid; its customer_address has the
    postal code, but ``_invoice_buyer`` keeps only line1, line2 and city, so our invoice's
    buyer address has no postcode (a German invoice needs the buyer's full address)."""
    make_seller()
    RecurringPriceFactory(stripe_price_id="price_monthly", amount=2900)
    event = json.loads(
        build_event(
            "invoice.paid",
            price_id="price_monthly",
            subscription="sub_1",
            email="ada@example.test",
            amount=2900,
        )
    )
    event["data"]["object"]["customer_address"] = {
        "line1": "Hauptstr. 1",
        "line2": None,
        "postal_code": "10115",
        "city": "Berlin",
        "state": None,
        "country": "DE",
    }
    deliver(json.dumps(event))

    invoice = Document.objects.get(kind=DocumentKind.INVOICE)
    assert invoice.buyer_address == "Hauptstr. 1\n10115 Berlin"


def test_a_refund_reported_after_the_lost_dispute_does_not_fail_the_event():
    """Events arrive in any order. A partial refund of 10.00 made before a dispute, delivered
    after the dispute was lost (which credited the whole 49.00), makes
    ``issue_credit_note_for_refund`` raise CreditExceedsInvoiceError: the refund event fails on
    every retry and the refunded amount is never recorded on the payment."""
    make_seller()
    payment = make_payment(amount=4900)
    Payment.objects.filter(pk=payment.pk).update(payment_intent_ref="pi_1")
    issue_invoice_for_payment(payment=payment, now=NOW)
    later = datetime(2026, 3, 20, tzinfo=UTC)
    record_chargeback(
        event=ChargedBack(
            provider="stripe",
            occurred_at=later,
            is_closed=True,
            outcome="lost",
            payment_intent_ref="pi_1",
        ),
        source_event=None,
        now=later,
    )
    assert Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 1

    record_refund(
        event=Refunded(
            provider="stripe",
            occurred_at=NOW,
            amount_refunded=1000,
            is_full=False,
            payment_intent_ref="pi_1",
        ),
        source_event=None,
        now=later,
    )

    assert Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 1
