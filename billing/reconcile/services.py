"""Reconcile runs and fixes.

``run_reconcile`` reads the provider and our rows and writes only its report (a run and its
findings); with ``fix`` it then applies each finding's fix. ``fix_finding`` repairs through the
normal event processing: a Stripe finding stores the provider's state as the event its webhook
would have delivered (``invoice.paid``, ``customer.subscription.deleted``) and processes it; a
Digistore24 finding processes its stored IPN again. Every access change is then audited by the
services as for a webhook (grant events naming the event), and each fix leaves a
``ReconcileFix`` row naming who applied it. A finding is fixed at most once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import stripe
from django.db import transaction

from billing.models import ProviderEvent, ReconcileFinding, ReconcileFix, ReconcileRun
from billing.reconcile import digistore24
from billing.reconcile import stripe as stripe_reconcile
from billing.services.events import apply_provider_event
from billing.stripe_api import StripeNotConfigured
from members.models import User

logger = logging.getLogger(__name__)

COMPARERS: dict[str, Callable[..., tuple[int, list[ReconcileFinding]]]] = {
    "stripe": stripe_reconcile.compare,
    "digistore24": digistore24.compare,
}
PROVIDERS = tuple(COMPARERS)
Fix = ReconcileFinding.Fix
Status = ProviderEvent.Status


class ReconcileError(ValueError):
    """A fix that cannot be applied; the message is shown as is."""


def run_reconcile(
    *, provider: str, now: datetime, fix: bool = False, actor: User | None = None
) -> ReconcileRun:
    """Compare one provider with us and store the findings; fix them only if ``fix``.

    An API failure that outlasts the retries ends the run as failed, with the error kept."""
    if provider not in COMPARERS:
        raise ReconcileError(f"unknown provider {provider!r}: one of {', '.join(PROVIDERS)}")
    run = ReconcileRun.objects.create(provider=provider, started_at=now)
    try:
        checked, findings = COMPARERS[provider](now=now)
    except (stripe.StripeError, StripeNotConfigured) as error:
        logger.warning("reconcile %s failed: %s", provider, error)
        run.status, run.error, run.finished_at = ReconcileRun.Status.FAILED, str(error), now
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    with transaction.atomic():
        for finding in findings:
            finding.run = run
        ReconcileFinding.objects.bulk_create(findings)
        run.status, run.checked, run.finished_at = ReconcileRun.Status.DONE, checked, now
        run.save(update_fields=["status", "checked", "finished_at"])
    if fix:
        for finding in run.findings.exclude(fix=Fix.NONE).order_by("pk"):
            fix_finding(finding_pk=finding.pk, actor=actor, now=now)
    return run


def _stored_replay(payload: dict, *, now: datetime) -> ProviderEvent:
    event, _created = ProviderEvent.objects.get_or_create(
        provider="stripe",
        event_id=payload["id"],
        defaults={
            "event_type": payload["type"],
            "payload": payload,
            "is_test": not payload.get("livemode", False),
            "received_at": now,
        },
    )
    return event


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@transaction.atomic
def fix_finding(*, finding_pk: int, actor: User | None, now: datetime) -> ReconcileFix:
    """Apply a finding's fix once; a repeat returns the first successful fix unchanged."""
    finding = ReconcileFinding.objects.select_for_update().get(pk=finding_pk)
    done = finding.fixes.filter(succeeded=True).first()
    if done is not None:
        return done
    if finding.fix == Fix.NONE:
        raise ReconcileError("this finding has no automatic fix: check it at the provider")
    if finding.fix == Fix.REPROCESS_EVENT:
        event = ProviderEvent.objects.get(pk=finding.fix_payload["event_pk"])
    else:
        event = _stored_replay(finding.fix_payload["event"], now=now)
    status = apply_provider_event(event_pk=event.pk, now=now)
    event.refresh_from_db(fields=["error"])
    result = f"{event.event_type} {event.event_id}: {status}"
    if event.error:
        result = f"{result} ({_last_line(event.error)})"
    return ReconcileFix.objects.create(
        finding=finding,
        at=now,
        actor=actor,
        source_event=event,
        succeeded=status == Status.PROCESSED,
        result=result[:500],
    )


def providers_to_check() -> list[str]:
    """Every provider; Stripe only when its API key is set (a Digistore24-only site)."""
    from billing import stripe_api

    return [name for name in PROVIDERS if name != "stripe" or stripe_api.is_configured()]


def run_all(*, now: datetime) -> list[ReconcileRun]:
    """The nightly job: report only, never fix."""
    return [run_reconcile(provider=name, now=now) for name in providers_to_check()]


def latest_runs() -> list[ReconcileRun]:
    """The newest run of each provider (for the admin page)."""
    runs = []
    for provider in PROVIDERS:
        run = ReconcileRun.objects.filter(provider=provider).order_by("-started_at", "-pk").first()
        if run is not None:
            runs.append(run)
    return runs
