"""Thin tasks of the outbox: send rows by pk after commit, and the periodic pick-up.

Two sending tasks with the same body, one per Celery queue (``CELERY_TASK_ROUTES``):
``send_outbox_messages`` for e-mails (queue ``mail``) and ``render_outbox_documents`` for
invoice and credit-note PDFs and the e-mails that carry them (queue ``pdf``). A PDF takes a
good part of a second to render; on its own queue it never holds up a welcome e-mail, and
neither holds up webhook processing (the default queue).
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

# Each run of the periodic job queues at most this many batches; the next run continues.
MAX_BATCHES = 20


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def send_outbox_messages(message_pks: list[int]) -> int:
    """Send the rows (each at most once, however often this runs); returns how many were sent."""
    from outbox.services import deliver_messages

    return deliver_messages(message_pks=message_pks, now=timezone.now())


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def render_outbox_documents(message_pks: list[int]) -> int:
    """Render (and e-mail) documents: the same as ``send_outbox_messages``, on the pdf queue."""
    from outbox.services import deliver_messages

    return deliver_messages(message_pks=message_pks, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def dispatch_due_outbox_messages() -> int:
    """Beat: queue the rows a lost task left pending, and the failed ones whose backoff passed."""
    from outbox.services import dispatch_due_messages

    now = timezone.now()
    queued = 0
    for _ in range(MAX_BATCHES):
        pks = dispatch_due_messages(now=now)
        queued += len(pks)
        if not pks:
            break
    return queued
