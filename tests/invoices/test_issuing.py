"""Which payments get an invoice, and what the invoice says."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from billing.models import Payment
from invoices.models import Document, DocumentKind, InvoiceSeries, PendingDocument
from invoices.services import issue_invoice_for_payment
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.django_db


def test_stripe_payment_gets_one_invoice_with_snapshot_lines_and_reference():
    make_seller()
    payment = make_payment(amount=4900)

    invoice = issue_invoice_for_payment(payment=payment, now=NOW, buyer=checkout_buyer())

    assert invoice.number == "RE-2026-000001"
    assert invoice.kind == DocumentKind.INVOICE
    assert invoice.issue_date.isoformat() == "2026-03-10"
    assert invoice.member == payment.order.member
    assert invoice.payment_reference == payment.provider_ref
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (4118, 782, 4900)
    assert invoice.vat_rate == Decimal("19.00")
    assert invoice.currency == "EUR"
    assert invoice.seller_name == "Calm Money GmbH"
    assert invoice.seller_vat_id == "DE999999999"
    assert invoice.buyer_name == "Ada Lovelace"
    assert invoice.buyer_email == "ada@example.test"
    assert invoice.buyer_address_lines == ["12 Analytical Lane", "EC1A 1BB London"]
    assert (invoice.buyer_country, invoice.buyer_vat_id) == ("DE", "GB123456789")
    assert invoice.small_business_note == ""
    line = invoice.lines.get()
    assert (line.description, line.quantity) == ("Six-day habit course", 1)
    assert (line.net, line.vat, line.gross, line.vat_rate) == (4118, 782, 4900, Decimal("19.00"))


def test_without_checkout_details_the_member_is_the_buyer():
    make_seller()
    payment = make_payment()

    invoice = issue_invoice_for_payment(payment=payment, now=NOW)

    member = payment.order.member
    assert (invoice.buyer_name, invoice.buyer_email) == (member.name, member.email)
    assert invoice.buyer_address == ""


def test_seller_changes_later_do_not_touch_an_issued_invoice():
    seller = make_seller()
    invoice = issue_invoice_for_payment(payment=make_payment(), now=NOW)

    seller.legal_name = "Renamed AG"
    seller.save()

    assert Document.objects.get(pk=invoice.pk).seller_name == "Calm Money GmbH"


def test_repeating_the_call_returns_the_same_invoice_and_takes_no_number():
    make_seller()
    payment = make_payment()

    first = issue_invoice_for_payment(payment=payment, now=NOW)
    second = issue_invoice_for_payment(payment=payment, now=NOW)

    assert second.pk == first.pk
    assert Document.objects.count() == 1
    assert InvoiceSeries.objects.get(kind=DocumentKind.INVOICE, year=2026).last_number == 1


@pytest.mark.parametrize(
    ("provider", "amount"), [("digistore24", 4900), ("stripe", 0)], ids=["digistore24", "trial"]
)
def test_merchant_of_record_and_zero_payments_get_no_invoice(provider, amount):
    make_seller()
    payment = make_payment(provider=provider, amount=amount)

    assert issue_invoice_for_payment(payment=payment, now=NOW) is None

    assert Document.objects.count() == 0
    assert PendingDocument.objects.count() == 0
    assert InvoiceSeries.objects.count() == 0


def test_numbers_count_per_year_in_the_sellers_time_zone():
    make_seller()
    # 23:30 UTC on New Year's Eve is already 2027 in Berlin (the seller's zone).
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    last_of_2026 = issue_invoice_for_payment(payment=make_payment(), now=NOW)
    first_of_2027 = issue_invoice_for_payment(payment=make_payment(), now=new_year)

    assert last_of_2026.number == "RE-2026-000001"
    assert first_of_2027.number == "RE-2027-000001"
    assert first_of_2027.issue_date.isoformat() == "2027-01-01"


def test_number_format_comes_from_the_seller_settings():
    make_seller(invoice_number_format="INV/{year}/{number:04d}")

    invoice = issue_invoice_for_payment(payment=make_payment(), now=NOW)

    assert invoice.number == "INV/2026/0001"


def test_small_business_invoice_has_no_vat_and_carries_the_note():
    make_seller(small_business=True)

    invoice = issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW)

    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (4900, 0, 4900)
    assert invoice.vat_rate == Decimal("0.00")
    assert invoice.small_business_note == "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet."


def test_a_rolled_back_issue_returns_its_number():
    make_seller()
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the rollback is the test
        issue_invoice_for_payment(payment=make_payment(), now=NOW)
        raise RuntimeError("billing failed after the invoice")

    invoice = issue_invoice_for_payment(payment=make_payment(), now=NOW)

    assert invoice.number == "RE-2026-000001"
    assert Document.objects.count() == 1


def test_a_renewal_without_checkout_details_reuses_the_orders_last_buyer_snapshot():
    make_seller()
    first = make_payment()
    issue_invoice_for_payment(payment=first, now=NOW, buyer=checkout_buyer())
    renewal = Payment.objects.create(
        order=first.order,
        provider="stripe",
        provider_ref="in_renewal",
        amount=4900,
        currency="EUR",
        paid_at=NOW,
    )

    invoice = issue_invoice_for_payment(payment=renewal, now=NOW)

    assert invoice.number == "RE-2026-000002"
    assert (invoice.buyer_name, invoice.buyer_vat_id) == ("Ada Lovelace", "GB123456789")
    assert invoice.buyer_address_lines == ["12 Analytical Lane", "EC1A 1BB London"]
