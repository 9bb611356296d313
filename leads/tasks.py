"""Thin tasks of the lead magnets."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def delete_expired_signups() -> int:
    """Beat: delete sign-ups never confirmed within seven days; returns how many."""
    from leads.services import delete_expired_signups as delete

    return delete(now=timezone.now())
