"""A purchase's side effects go to their own queues: the welcome e-mail to ``mail``, the invoice
PDF (and the e-mail carrying it) to ``pdf``; webhook processing keeps the default queue."""

from __future__ import annotations

from functools import partial

import pytest

from outbox import tasks as outbox_tasks
from outbox.models import OutboxMessage
from tests.conftest import STRIPE_URL, post_signed
from tests.invoices.helpers import make_seller
from tests.payloads.stripe import build_event
from tests.site.test_celery_queues import queue_of


@pytest.mark.django_db
def test_a_purchase_queues_its_welcome_on_mail_and_its_invoice_pdf_on_pdf(
    client, stripe_webhook_secret, course_price, monkeypatch, django_capture_on_commit_callbacks
):
    make_seller()
    published: list[tuple[str, list[str]]] = []

    def record(task, message_pks):
        kinds = OutboxMessage.objects.filter(pk__in=message_pks).values_list("kind", flat=True)
        published.append((queue_of(task.name), sorted(kinds)))

    for task in (outbox_tasks.send_outbox_messages, outbox_tasks.render_outbox_documents):
        monkeypatch.setattr(task, "delay", partial(record, task))
    body = build_event("checkout.session.completed", price_id="price_course", email="a@b.test")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed(client, STRIPE_URL, body).status_code == 200

    assert sorted(published) == [
        ("mail", ["order_email"]),
        ("pdf", ["document_email", "document_pdf"]),
    ]
