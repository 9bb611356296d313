"""Credit notes: each states the VAT of its own amount, and keeps its invoice's tax treatment."""

import pytest

from invoices.models import Document, DocumentKind
from invoices.services import issue_credit_note_for_refund, issue_invoice_for_payment
from invoices.vat import split_gross
from tests.invoices.helpers import NOW, make_payment, make_seller

pytestmark = pytest.mark.django_db


def test_the_last_of_several_partial_credit_notes_states_the_vat_of_its_own_amount():
    """An invoice of 199.50 at 19% refunded in ten parts of 19.95. Each of the first nine credit
    notes rounds its own net (-16.76 / VAT -3.19); the tenth takes "the exact remainder" of the
    invoice's net, so all nine rounding errors land on it: it prints gross -19.95 with VAT -3.14
    at 19 % (15.7 %), five cents off the VAT that 19.95 at 19 % contains. Rounding the running
    total (cumulative gross -> cumulative net) keeps every note within a cent and the sum exact."""
    make_seller()
    payment = make_payment(amount=19950)
    invoice = issue_invoice_for_payment(payment=payment, now=NOW)
    for _ in range(10):
        issue_credit_note_for_refund(payment=payment, amount=1995, now=NOW)

    notes = list(Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).order_by("sequence"))
    assert sum(note.gross_total for note in notes) == -invoice.gross_total
    assert sum(note.net_total for note in notes) == -invoice.net_total
    for note in notes:
        own = split_gross(gross=note.gross_total, rate=note.vat_rate)
        assert abs(note.vat_total - own.vat) <= 1, (note.number, note.vat_total, own.vat)


def test_a_credit_note_follows_its_invoices_tax_treatment_not_todays_settings():
    """A creator leaves or enters the § 19 small-business scheme at a year boundary; refunds of
    last year's sales follow. The credit note keeps the invoice's VAT rate (19 %) but takes the
    § 19 note from today's settings, so it says "no VAT is charged (§ 19 UStG)" next to 19 % VAT
    (and, the other way round, a credit for a § 19 invoice loses its note)."""
    seller = make_seller()
    payment = make_payment(amount=4900)
    invoice = issue_invoice_for_payment(payment=payment, now=NOW)
    seller.small_business = True
    seller.save()

    note = issue_credit_note_for_refund(payment=payment, amount=4900, now=NOW)

    assert note.vat_rate == invoice.vat_rate
    assert note.vat_total == -invoice.vat_total != 0
    assert note.small_business_note == invoice.small_business_note == ""
