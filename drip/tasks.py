"""Celery beat jobs of the drip app: thin wrappers that read the clock and call services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)

# Each run handles at most this many batches; the next beat tick continues.
MAX_BATCHES = 100


def _in_batches(job: Callable[..., list[int]], *, now: datetime) -> int:
    """Run a set-based job until nothing is due (at most MAX_BATCHES); return the rows handled."""
    handled = 0
    for _ in range(MAX_BATCHES):
        pks = job(now=now)
        handled += len(pks)
        if not pks:
            break
    return handled


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def send_new_lesson_notices() -> int:
    """Record lessons that opened and send the pending "new lesson" e-mails."""
    from drip.services import claim_pending_notices, record_opened_lessons

    now = timezone.now()
    record_opened_lessons(now=now)
    return _in_batches(claim_pending_notices, now=now)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def expire_lapsed_grants() -> int:
    from drip.services import expire_lapsed_grants as expire

    return _in_batches(expire, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def apply_activation_windows() -> int:
    from drip.services import apply_activation_windows as apply

    return _in_batches(apply, now=timezone.now())


# The two e-mail tasks below are no longer queued: each e-mail is an outbox row
# (outbox.tasks.send_outbox_messages). They stay registered so that copies queued before the
# upgrade still run, as before.


@shared_task(acks_late=True)
def send_lesson_notices(notice_pks: list[int]) -> int:
    """Send the claimed notices' e-mails (each notice was claimed once, so at most one e-mail)."""
    from drip.emails import send_lesson_notice_emails

    return send_lesson_notice_emails(notice_pks=notice_pks)


@shared_task(acks_late=True)
def send_lapse_emails(grant_pks: list[int]) -> int:
    from drip.emails import send_lapse_emails as send

    return send(grant_pks=grant_pks)
