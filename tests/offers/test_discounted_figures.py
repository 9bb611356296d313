"""Issue 17 item 1: the dashboard's revenue figures use what was paid after the coupon (the
payment's amount), not the list prices; a refund of the discounted bump line takes off what that
line was paid, with its VAT from the credit note."""

from __future__ import annotations

import pytest
from django.utils import timezone

from billing.models import Payment
from dashboard.report import build_report
from invoices.models import Document
from tests.invoices.helpers import make_seller
from tests.offers.bump_helpers import bump_session
from tests.offers.conftest import make_coupon
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


def this_month():
    return build_report(now=timezone.now(), months=1, include_test=True).now.this_month


def test_revenue_counts_the_discounted_amounts_of_a_coupon_and_bump_purchase(
    deliver, course_price, bump
):
    make_seller()
    make_coupon()
    deliver(bump_session(bump, discount=1160, code="SPRING20", email="ada@x.test"))
    invoice = Document.objects.get(kind="invoice")

    revenue = this_month()

    assert revenue.gross == {"EUR": 4640}  # (49.00 + 9.00) - 20 %, not 58.00
    assert revenue.vat == {"EUR": invoice.vat_total}
    assert revenue.net == {"EUR": 4640 - invoice.vat_total}

    payment = Payment.objects.get()
    deliver(
        build_event(
            "charge.refunded",
            amount=payment.amount,
            amount_refunded=720,  # the bump line as paid: 9.00 - 20 %
            payment_intent=payment.payment_intent_ref,
        )
    )
    note = Document.objects.get(kind="credit_note")

    revenue = this_month()

    assert revenue.refunds == {"EUR": 720}
    assert revenue.vat == {"EUR": invoice.vat_total + note.vat_total}  # the note's VAT is < 0
    assert revenue.net == {"EUR": 4640 - 720 - invoice.vat_total - note.vat_total}
    assert note.gross_total == -720
