"""Missing seller settings never lose a payment: the documents wait and are issued later."""

import pytest

from billing.models import Payment
from invoices.models import Document, DocumentKind, PendingDocument
from invoices.services import (
    SellerSettingsMissingError,
    issue_credit_note_for_refund,
    issue_invoice_for_payment,
    issue_pending_documents,
)
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.django_db


def test_without_seller_settings_the_payment_is_kept_and_its_invoice_waits():
    payment = make_payment()

    assert issue_invoice_for_payment(payment=payment, now=NOW, buyer=checkout_buyer()) is None

    assert Payment.objects.filter(pk=payment.pk).exists()
    assert Document.objects.count() == 0
    pending = PendingDocument.objects.get()
    assert (pending.kind, pending.amount, pending.document) == (DocumentKind.INVOICE, 4900, None)
    assert pending.buyer["name"] == "Ada Lovelace"


def test_incomplete_settings_count_as_missing():
    make_seller(legal_name="", address="")

    assert issue_invoice_for_payment(payment=make_payment(), now=NOW) is None
    assert PendingDocument.objects.count() == 1


def test_issuing_pending_documents_needs_the_settings():
    issue_invoice_for_payment(payment=make_payment(), now=NOW)

    with pytest.raises(SellerSettingsMissingError):
        issue_pending_documents(now=NOW)

    assert Document.objects.count() == 0


def test_pending_invoice_and_its_refund_are_issued_in_order_once():
    payment = make_payment(amount=4900)
    issue_invoice_for_payment(payment=payment, now=NOW, buyer=checkout_buyer())
    issue_invoice_for_payment(payment=payment, now=NOW)  # a repeat keeps one pending row
    issue_credit_note_for_refund(payment=payment, amount=4900, now=NOW)
    make_seller()

    issued = issue_pending_documents(now=NOW)
    again = issue_pending_documents(now=NOW)

    assert [document.number for document in issued] == ["RE-2026-000001", "GS-2026-000001"]
    invoice, note = issued
    assert invoice.buyer_name == "Ada Lovelace"
    assert invoice.buyer_address_lines == ["12 Analytical Lane", "EC1A 1BB London"]
    assert note.corrects == invoice
    assert note.gross_total == -4900
    assert again == []
    assert PendingDocument.objects.filter(document__isnull=True).count() == 0


def test_pending_credits_also_count_against_the_invoice():
    payment = make_payment(amount=4900)
    issue_invoice_for_payment(payment=payment, now=NOW)
    issue_credit_note_for_refund(payment=payment, amount=4000, now=NOW)

    with pytest.raises(ValueError, match="exceeds"):
        issue_credit_note_for_refund(payment=payment, amount=1000, now=NOW)

    assert PendingDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 1
