"""Celery tasks of the billing app: thin, take a pk, safe to repeat."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def process_provider_event(event_pk: int) -> str:
    """Apply one stored provider event (exactly once, however often this runs)."""
    from billing.services import apply_provider_event

    return apply_provider_event(event_pk=event_pk, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def requeue_unprocessed_events() -> int:
    from billing.services import requeue_unprocessed_events as requeue

    return len(requeue(now=timezone.now()))


# The two e-mail tasks below are no longer queued: e-mails go through the outbox
# (outbox.tasks.send_outbox_messages). They stay registered so that copies queued before the
# upgrade still run, as before.


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, SMTPException, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def send_order_email(order_pk: int) -> bool:
    """The welcome (new member) or "your purchase is ready" e-mail, once per order."""
    from billing.emails import send_order_email as send

    return send(order_pk=order_pk, now=timezone.now())


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, SMTPException, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def send_payment_failed_email(order_pk: int) -> bool:
    from billing.emails import send_payment_failed_email as send

    return send(order_pk=order_pk)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def reconcile_providers() -> list[int]:
    """Nightly: compare with each provider and store the findings (report only, never fix)."""
    from billing.reconcile.services import run_all

    return [run.pk for run in run_all(now=timezone.now())]
