"""The beat job of the sequences app: a thin wrapper that reads the clock and calls the service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_sequences() -> dict[str, int]:
    """Enrol triggered members, stop what must stop, queue the due steps' e-mails."""
    from sequences.services import run_sequences as run

    return run(now=timezone.now())
