"""Issue 11, item 1: a task lost with its worker no longer loses the buyer's e-mails and PDF.

The purchase writes its side effects as outbox rows in the event's transaction. Here the task
that should send them is lost (the worker died with it) or killed mid-send; the periodic job,
run with the clock moved on, sends each exactly once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from billing.models import Order
from invoices.models import Document, DocumentFile
from members.models import AccessGrant
from outbox import services, tasks
from outbox.models import OutboxMessage
from tests.conftest import STRIPE_URL, post_signed
from tests.invoices.helpers import make_seller, pdf_text
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
Kind = OutboxMessage.Kind
State = OutboxMessage.State


class WorkerKilled(BaseException):
    """A SIGKILL seen from inside: nothing catches it and nothing after it commits."""


def purchase(client, capture) -> None:
    body = build_event(
        "checkout.session.completed",
        price_id="price_course",
        email="ada@example.test",
        name="Ada Lovelace",
        amount=4900,
    )
    with time_machine.travel(NOW, tick=False), capture(execute=True):
        assert post_signed(client, STRIPE_URL, body).status_code == 200


def run_beat(at: datetime, capture) -> int:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tasks.dispatch_due_outbox_messages.delay().get()


def states() -> dict[str, str]:
    return dict(OutboxMessage.objects.values_list("kind", "state"))


def assert_delivered_exactly_once(mailoutbox) -> None:
    invoice = Document.objects.get()
    assert sorted(mail.subject for mail in mailoutbox) == [
        "Welcome! Your access to Habit course is ready",
        f"Your invoice {invoice.number}",
    ]
    assert all(mail.to == ["ada@example.test"] for mail in mailoutbox)
    (invoice_mail,) = [mail for mail in mailoutbox if mail.attachments]
    (filename, content, _mimetype) = invoice_mail.attachments[0]
    assert filename == f"{invoice.number}.pdf"
    assert invoice.number in pdf_text(content)
    assert DocumentFile.objects.filter(document=invoice).count() == 1
    assert states() == {
        Kind.ORDER_EMAIL: State.SENT,
        Kind.DOCUMENT_PDF: State.SENT,
        Kind.DOCUMENT_EMAIL: State.SENT,
    }


def test_a_task_lost_with_its_worker_is_sent_once_by_the_periodic_job(
    client,
    stripe_webhook_secret,
    course_price,
    mailoutbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    make_seller()
    with monkeypatch.context() as patched:
        # The task messages (mail and pdf queue) vanished with the worker that had prefetched them.
        patched.setattr(tasks.send_outbox_messages, "delay", lambda *args, **kwargs: None)
        patched.setattr(tasks.render_outbox_documents, "delay", lambda *args, **kwargs: None)
        purchase(client, django_capture_on_commit_callbacks)

    order = Order.objects.get()
    assert AccessGrant.objects.get(member=order.member).state == AccessGrant.State.ACTIVE
    assert Document.objects.get().payment.order == order
    assert mailoutbox == []
    assert not DocumentFile.objects.exists()
    assert set(states().values()) == {State.PENDING}

    # Within the pick-up delay the task may still be on its way: the job leaves the rows alone.
    assert run_beat(NOW + timedelta(minutes=4), django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []

    assert run_beat(NOW + timedelta(minutes=6), django_capture_on_commit_callbacks) == 3
    assert_delivered_exactly_once(mailoutbox)

    # Later runs, and the lost task turning up after all, send nothing more.
    assert run_beat(NOW + timedelta(hours=2), django_capture_on_commit_callbacks) == 0
    every_row = list(OutboxMessage.objects.values_list("pk", flat=True))
    assert tasks.send_outbox_messages.delay(every_row).get() == 0
    assert len(mailoutbox) == 2
    assert Order.objects.get().welcome_sent_at is not None


def test_a_worker_killed_mid_send_leaves_the_row_pending_and_it_is_sent_once(
    client,
    stripe_webhook_secret,
    course_price,
    mailoutbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    make_seller()
    send = LocmemBackend.send_messages
    calls = []

    def killed_on_first_send(self, messages):
        calls.append(messages)
        if len(calls) == 1:
            raise WorkerKilled
        return send(self, messages)

    monkeypatch.setattr(LocmemBackend, "send_messages", killed_on_first_send)
    with pytest.raises(WorkerKilled):
        purchase(client, django_capture_on_commit_callbacks)

    # The welcome e-mail goes first (the invoice's PDF has its own, later task); the worker
    # died sending it, so its row rolled back, and the PDF task never ran.
    assert mailoutbox == []
    assert states() == {
        Kind.ORDER_EMAIL: State.PENDING,
        Kind.DOCUMENT_PDF: State.PENDING,
        Kind.DOCUMENT_EMAIL: State.PENDING,
    }
    assert OutboxMessage.objects.get(kind=Kind.ORDER_EMAIL).attempts == 0
    assert not DocumentFile.objects.exists()

    assert run_beat(NOW + timedelta(minutes=6), django_capture_on_commit_callbacks) == 3
    assert_delivered_exactly_once(mailoutbox)
    assert run_beat(NOW + timedelta(hours=2), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 2


def test_a_broker_that_refuses_the_task_delays_the_emails_by_minutes_not_forever(
    client,
    stripe_webhook_secret,
    course_price,
    mailoutbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    make_seller()
    with monkeypatch.context() as patched:
        patched.setattr(tasks.send_outbox_messages, "delay", broker_down)
        patched.setattr(tasks.render_outbox_documents, "delay", broker_down)
        purchase(client, django_capture_on_commit_callbacks)  # the webhook still answers 200
    assert mailoutbox == []

    assert run_beat(NOW + timedelta(minutes=5), django_capture_on_commit_callbacks) == 3
    assert_delivered_exactly_once(mailoutbox)


def test_a_failing_mail_server_is_retried_with_backoff_then_the_row_stays_failed(
    client, stripe_webhook_secret, course_price, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "membership_site.email_backend.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    purchase(client, django_capture_on_commit_callbacks)  # no seller: only the welcome e-mail

    message = OutboxMessage.objects.get()
    assert (message.state, message.attempts) == (State.PENDING, 1)
    assert message.last_error.startswith("ConnectionRefusedError:")
    assert message.due_at == NOW + timedelta(minutes=1)

    waits = []
    while message.state == State.PENDING:
        waits.append(message.due_at - message.last_attempt_at)
        assert run_beat(message.due_at, django_capture_on_commit_callbacks) == 1
        message.refresh_from_db()

    minutes = [wait // timedelta(minutes=1) for wait in waits]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert (message.state, message.attempts) == (State.FAILED, services.MAX_ATTEMPTS)
    assert message.last_error.startswith("ConnectionRefusedError:")
    assert Order.objects.get().welcome_sent_at is None
    assert run_beat(NOW + timedelta(days=3), django_capture_on_commit_callbacks) == 0
