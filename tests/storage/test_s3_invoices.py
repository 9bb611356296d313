"""Invoice PDFs in the bucket: written by the after-commit job, read back for the member, and
kept waiting (not lost) while the store is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from invoices.models import DocumentFile, DocumentMail
from invoices.services import issue_invoice_for_payment
from outbox.models import OutboxMessage
from outbox.services import deliver_messages
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller, pdf_text
from tests.storage.conftest import s3_storages

pytestmark = pytest.mark.django_db
KEY = "invoices/2026/RE-2026-000001.pdf"


def issue(django_capture_on_commit_callbacks):
    make_seller()
    payment = make_payment(amount=4900)
    with django_capture_on_commit_callbacks(execute=True):
        return issue_invoice_for_payment(payment=payment, now=NOW, buyer=checkout_buyer())


def test_the_pdf_written_after_commit_lands_in_the_bucket(
    client, s3_bucket, django_capture_on_commit_callbacks, mailoutbox
):
    invoice = issue(django_capture_on_commit_callbacks)

    assert DocumentFile.objects.get(document=invoice).pdf.name == KEY
    assert s3_bucket.keys() == [KEY]
    assert "RE-2026-000001" in pdf_text(s3_bucket.read(KEY))
    (mail,) = mailoutbox
    assert mail.attachments[0][1] == s3_bucket.read(KEY)
    client.force_login(invoice.member)
    response = client.get(reverse("invoices:pdf", args=[invoice.number]))
    assert response.status_code == 200
    assert response.content == s3_bucket.read(KEY)


def test_with_the_store_down_the_pdf_waits_and_is_rendered_when_it_is_back(
    settings, s3_bucket, closed_port, django_capture_on_commit_callbacks, mailoutbox
):
    live = settings.STORAGES
    settings.STORAGES = s3_storages(
        settings, bucket_name=s3_bucket.name, endpoint_url=f"http://127.0.0.1:{closed_port}"
    )

    invoice = issue(django_capture_on_commit_callbacks)

    assert not DocumentFile.objects.exists()
    assert mailoutbox == []
    waiting = OutboxMessage.objects.filter(
        kind__in=[OutboxMessage.Kind.DOCUMENT_PDF, OutboxMessage.Kind.DOCUMENT_EMAIL]
    )
    assert {(row.state, row.attempts) for row in waiting} == {(OutboxMessage.State.PENDING, 1)}
    assert all("Could not connect" in row.last_error for row in waiting)

    settings.STORAGES = live  # the store is back; the periodic job picks the rows up again
    sent = deliver_messages(
        message_pks=[row.pk for row in waiting.order_by("pk")], now=NOW + timedelta(minutes=5)
    )

    assert sent == 2
    assert DocumentFile.objects.get(document=invoice).pdf.name == KEY
    assert s3_bucket.keys() == [KEY]
    assert len(mailoutbox) == 1
    assert DocumentMail.objects.filter(document=invoice).count() == 1
