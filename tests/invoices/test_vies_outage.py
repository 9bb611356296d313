"""VIES is down while a business buys: the order stands, the invoice waits, and the beat job
issues it (once) when VIES answers. The clock moves with time-machine; VIES is a stub of its
HTTP layer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import responses
import time_machine
from django.conf import settings
from django.db import transaction

from billing.models import Order, Payment
from invoices.models import Document, DocumentKind, PendingDocument, VatIdCheck
from invoices.services import issue_invoice_for_payment
from invoices.tasks import retry_vat_id_checks
from invoices.vat import TaxTreatment
from invoices.vat_checks import run_vat_id_check
from members.models import AccessGrant
from tests.conftest import run_concurrently
from tests.factories import CourseFactory, PriceFactory
from tests.invoices import vies_stub
from tests.invoices.helpers import checkout_buyer, make_payment, make_seller
from tests.payloads.stripe import build_event

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def course_price(db):
    return PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course"),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )


@pytest.fixture
def vies():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def french_business_checkout() -> str:
    body = json.loads(
        build_event(
            "checkout.session.completed",
            price_id="price_course",
            email="achats@acme.example",
            amount=4900,
            payment_intent="pi_acme",
        )
    )
    details = body["data"]["object"]["customer_details"]
    details["address"]["country"] = "FR"
    details["tax_ids"] = [{"type": "eu_vat", "value": "FR40303265045"}]
    return json.dumps(body)


def test_the_beat_schedule_retries_vat_id_checks():
    entry = settings.CELERY_BEAT_SCHEDULE["invoices-retry-vat-id-checks"]
    assert entry["task"] == "invoices.tasks.retry_vat_id_checks"


@pytest.mark.django_db
def test_an_outage_keeps_the_order_and_the_beat_job_issues_the_invoice_once(
    deliver, course_price, vies
):
    make_seller()
    vies_stub.answer(vies, vies_stub.MEMBER_STATE_DOWN)  # first request
    vies_stub.unreachable(vies)  # second request
    vies_stub.answer(vies, vies_stub.valid())  # from the third on

    with time_machine.travel(START, tick=False):
        assert deliver(french_business_checkout()).status_code == 200
        # A partial refund while the invoice still waits: its credit note waits behind it.
        refund = build_event(
            "charge.refunded", payment_intent="pi_acme", amount=4900, amount_refunded=1000
        )
        assert deliver(refund).status_code == 200

    order = Order.objects.get()
    assert AccessGrant.objects.get().member == order.member  # bought and in, invoice or not
    assert Payment.objects.get().order == order
    assert Document.objects.count() == 0
    assert PendingDocument.objects.filter(document__isnull=True).count() == 2
    check = VatIdCheck.objects.get()
    assert (check.status, check.attempts, check.next_attempt_at) == (
        VatIdCheck.Status.PENDING,
        1,
        START + timedelta(minutes=5),
    )
    assert check.reason == "VIES could not answer: MS_UNAVAILABLE"

    with time_machine.travel(START + timedelta(minutes=4), tick=False):
        retry_vat_id_checks.delay()  # not due yet: VIES is not asked
    assert len(vies.calls) == 1

    with time_machine.travel(START + timedelta(minutes=6), tick=False):
        retry_vat_id_checks.delay()  # due; VIES still unreachable: backs off to 10 minutes
    check.refresh_from_db()
    assert (check.attempts, check.next_attempt_at) == (2, START + timedelta(minutes=16))
    assert Document.objects.count() == 0

    answered_at = START + timedelta(minutes=17)
    with time_machine.travel(answered_at, tick=False):
        retry_vat_id_checks.delay()
        retry_vat_id_checks.delay()  # a second run finds nothing left to do

    invoice = Document.objects.get(kind=DocumentKind.INVOICE)
    note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert (invoice.tax_treatment, invoice.vat_rate, invoice.gross_total, invoice.issued_at) == (
        TaxTreatment.REVERSE_CHARGE,
        Decimal("0.00"),
        4900,
        answered_at,
    )
    assert (note.corrects, note.tax_treatment, note.gross_total, note.vat_total) == (
        invoice,
        TaxTreatment.REVERSE_CHARGE,
        -1000,
        0,
    )
    assert len(vies.calls) == 3
    assert PendingDocument.objects.filter(document__isnull=True).count() == 0
    check.refresh_from_db()
    assert (check.status, check.checked_at) == (VatIdCheck.Status.VALID, answered_at)


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_and_beat_runs_issue_one_invoice(postgres_only, vies):
    make_seller()
    vies_stub.unreachable(vies)
    vies_stub.answer(vies, vies_stub.valid())
    payment = make_payment()
    with transaction.atomic():  # billing's transaction; the first check runs after commit
        issued = issue_invoice_for_payment(
            payment=payment, now=START, buyer=checkout_buyer(country="FR", vat_id="FR40303265045")
        )
    assert issued is None
    check = VatIdCheck.objects.get()
    assert check.status == VatIdCheck.Status.PENDING
    later = START + timedelta(hours=1)

    def check_now(index: int) -> None:
        if index % 2:
            run_vat_id_check(check_pk=check.pk, now=later)
        else:
            from invoices.vat_checks import retry_vat_id_checks as beat

            beat(now=later)

    errors = run_concurrently(check_now, arguments=[(index,) for index in range(6)])

    assert errors == []
    invoice = Document.objects.get()
    assert (invoice.tax_treatment, invoice.payment) == (TaxTreatment.REVERSE_CHARGE, payment)
    assert PendingDocument.objects.get().document == invoice
    assert VatIdCheck.objects.get().status == VatIdCheck.Status.VALID
