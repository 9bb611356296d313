"""Refunds and lost disputes issue credit notes that reference and negate the invoice."""

import pytest

from invoices.models import Document, DocumentKind, InvoiceSeries
from invoices.services import (
    CreditExceedsInvoiceError,
    issue_credit_note_for_refund,
    issue_invoice_for_payment,
)
from tests.invoices.helpers import NOW, make_payment, make_seller

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced_payment():
    make_seller()
    payment = make_payment(amount=4900)
    issue_invoice_for_payment(payment=payment, now=NOW)
    return payment


def test_full_refund_issues_a_credit_note_that_negates_the_invoice(invoiced_payment):
    invoice = Document.objects.get(kind=DocumentKind.INVOICE)

    note = issue_credit_note_for_refund(payment=invoiced_payment, amount=4900, now=NOW)

    assert note.number == "GS-2026-000001"
    assert note.kind == DocumentKind.CREDIT_NOTE
    assert note.corrects == invoice
    assert (note.net_total, note.vat_total, note.gross_total) == (-4118, -782, -4900)
    assert note.buyer_email == invoice.buyer_email
    assert note.lines.get().description == f"Credit for invoice {invoice.number}"
    # Credit notes have their own series: the invoice counter did not move.
    assert InvoiceSeries.objects.get(kind=DocumentKind.INVOICE, year=2026).last_number == 1


def test_partial_refunds_add_up_to_the_invoice_exactly(invoiced_payment):
    first = issue_credit_note_for_refund(payment=invoiced_payment, amount=1000, now=NOW)
    rest = issue_credit_note_for_refund(payment=invoiced_payment, amount=3900, now=NOW)

    assert (first.net_total, first.vat_total, first.gross_total) == (-840, -160, -1000)
    # The last credit note takes the remainder, so net and VAT cancel the invoice to the cent.
    assert (rest.net_total, rest.vat_total, rest.gross_total) == (-3278, -622, -3900)
    assert [first.number, rest.number] == ["GS-2026-000001", "GS-2026-000002"]
    totals = [(d.net_total, d.vat_total, d.gross_total) for d in Document.objects.all()]
    assert tuple(map(sum, zip(*totals, strict=True))) == (0, 0, 0)


def test_lost_dispute_after_a_partial_refund_credits_the_rest(invoiced_payment):
    issue_credit_note_for_refund(payment=invoiced_payment, amount=900, now=NOW)

    dispute = issue_credit_note_for_refund(payment=invoiced_payment, amount=4000, now=NOW)

    assert dispute.gross_total == -4000
    assert Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 2


@pytest.mark.parametrize("amounts", [(4901,), (4000, 901)], ids=["at-once", "in-steps"])
def test_crediting_more_than_invoiced_is_refused_and_changes_nothing(invoiced_payment, amounts):
    *allowed, refused = amounts
    for amount in allowed:
        issue_credit_note_for_refund(payment=invoiced_payment, amount=amount, now=NOW)
    notes_before = Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count()

    with pytest.raises(CreditExceedsInvoiceError):
        issue_credit_note_for_refund(payment=invoiced_payment, amount=refused, now=NOW)

    assert Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == notes_before
    series = InvoiceSeries.objects.filter(kind=DocumentKind.CREDIT_NOTE).first()
    assert (series.last_number if series else 0) == notes_before


def test_refund_of_a_payment_without_our_invoice_issues_nothing():
    make_seller()
    digistore_payment = make_payment(provider="digistore24")

    assert issue_credit_note_for_refund(payment=digistore_payment, amount=4900, now=NOW) is None
    assert Document.objects.count() == 0
