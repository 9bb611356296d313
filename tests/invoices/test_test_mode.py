"""Test-mode purchases (Stripe ``livemode: false``, the local test checkout) are numbered in
their own TEST- series and left out of the tax advisor's export: the real series stays clean."""

import pytest

from billing.models import Order
from invoices.models import Document
from invoices.selectors import documents_in_range
from invoices.services import issue_invoice_for_payment
from tests.invoices.helpers import NOW, make_payment, make_seller

pytestmark = pytest.mark.django_db


def test_a_test_mode_payment_takes_no_number_from_the_live_series():
    make_seller()
    test_payment = make_payment()
    Order.objects.filter(pk=test_payment.order_id).update(is_test=True)
    test_payment.refresh_from_db()
    issue_invoice_for_payment(payment=test_payment, now=NOW)

    live = issue_invoice_for_payment(payment=make_payment(), now=NOW)

    assert live.number == "RE-2026-000001"
    test_document = Document.objects.get(payment=test_payment)
    assert test_document.number == "TEST-RE-2026-000001"
    exported = documents_in_range(start=NOW.date(), end=NOW.date())
    assert [document.number for document in exported] == ["RE-2026-000001"]
