"""Processing stored provider events: exactly once, all or nothing, failures kept for retry.

``apply_provider_event`` locks the event row for the whole run, so a second worker (a re-queued
copy, a broker redelivery after ``acks_late``) waits and then finds it done. The domain changes
run in a savepoint: a failure rolls all of them back and is stored on the event with its
traceback and the time of the next automatic attempt.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q

from billing.locks import events_for_update
from billing.models import ProviderEvent
from billing.providers import get_provider
from billing.providers.base import (
    CancelledAtPeriodEnd,
    ChargedBack,
    CheckoutCompleted,
    Ignored,
    PaymentFailed,
    PaymentSucceeded,
    Refunded,
    SubscriptionEnded,
    SubscriptionRenewed,
    SubscriptionResumed,
    SubscriptionUpdated,
)
from billing.services import orders, refunds, subscriptions

logger = logging.getLogger(__name__)

Status = ProviderEvent.Status
DONE = (Status.PROCESSED, Status.IGNORED)
MAX_AUTOMATIC_ATTEMPTS = 8
REQUEUE_AFTER = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=6)

HANDLERS: dict[type, Callable[..., str]] = {
    PaymentSucceeded: orders.record_payment_succeeded,
    SubscriptionRenewed: orders.record_renewal,
    CheckoutCompleted: orders.record_checkout,
    SubscriptionUpdated: subscriptions.apply_subscription_update,
    PaymentFailed: subscriptions.record_payment_failed,
    CancelledAtPeriodEnd: subscriptions.schedule_cancellation,
    SubscriptionResumed: subscriptions.schedule_cancellation,
    SubscriptionEnded: subscriptions.end_subscription,
    Refunded: refunds.record_refund,
    ChargedBack: refunds.record_chargeback,
}


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _apply_domain_events(event: ProviderEvent, *, now: datetime) -> tuple[bool, list[str]]:
    """Apply the event's domain events; returns (all ignored, notes). Raises on failure."""
    domain_events = get_provider(event.provider).to_domain_events(event.payload)
    notes: list[str] = []
    ignored = True
    for domain_event in domain_events:
        if isinstance(domain_event, Ignored):
            notes.append(domain_event.reason)
            continue
        ignored = False
        note = HANDLERS[type(domain_event)](event=domain_event, source_event=event, now=now)
        if note:
            notes.append(note)
    return ignored, notes


@transaction.atomic
def apply_provider_event(*, event_pk: int, now: datetime) -> str:
    """Process one stored event once; returns its status afterwards."""
    event = events_for_update().filter(pk=event_pk).first()
    if event is None:
        return "missing"
    if event.status in DONE:
        return event.status
    event.attempts += 1
    try:
        with transaction.atomic():
            ignored, notes = _apply_domain_events(event, now=now)
    except Exception:
        event.status = Status.FAILED
        event.error = traceback.format_exc()
        event.next_attempt_at = now + backoff(event.attempts)
        logger.warning("provider event %s failed (attempt %s)", event, event.attempts)
    else:
        event.status = Status.IGNORED if ignored else Status.PROCESSED
        event.error = "\n".join(notes) if ignored else ""
        event.processed_at = now
        event.next_attempt_at = None
        if notes:
            logger.info("provider event %s: %s", event, "; ".join(notes))
    event.save(update_fields=["status", "error", "attempts", "processed_at", "next_attempt_at"])
    return event.status


def _queue(pks: list[int]) -> None:
    from billing.webhooks import queue_event

    for pk in pks:
        queue_event(pk)


def requeue_unprocessed_events(*, now: datetime, limit: int = 500) -> list[int]:
    """Queue again what a lost task, a dead worker or a broker outage left behind.

    Received events older than a few minutes, and failed events whose backoff has passed (up to
    a number of attempts; after that only an admin's reprocess runs them). Processing is
    exactly-once, so a copy that is queued twice still applies once.
    """
    cutoff = now - REQUEUE_AFTER
    not_recently_queued = Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff)
    due = ProviderEvent.objects.filter(
        (Q(status=Status.RECEIVED) & Q(received_at__lt=cutoff) & not_recently_queued)
        | (
            Q(status=Status.FAILED)
            & Q(attempts__lt=MAX_AUTOMATIC_ATTEMPTS)
            & Q(next_attempt_at__lte=now)
            & not_recently_queued
        )
    ).order_by("pk")
    with transaction.atomic():
        pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        if pks:
            ProviderEvent.objects.filter(pk__in=pks).update(queued_at=now)
            transaction.on_commit(partial(_queue, pks))
    return pks


def reprocess_events(
    *, now: datetime, pks: Iterable[int] | None = None, failed_only: bool = False
) -> list[tuple[ProviderEvent, str]]:
    """Run unprocessed (or only failed) events now, e.g. after the creator fixed the catalog."""
    events = ProviderEvent.objects.filter(status__in=[Status.RECEIVED, Status.FAILED])
    if failed_only:
        events = events.filter(status=Status.FAILED)
    if pks is not None:
        events = events.filter(pk__in=list(pks))
    results = []
    for event in events.order_by("received_at", "pk"):
        status = apply_provider_event(event_pk=event.pk, now=now)
        results.append((event, status))
    return results
