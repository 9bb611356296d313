"""Digistore24 has no API to list orders: its findings come from the IPNs we stored.

- "paid, no access": an ``on_payment`` IPN stored more than a few minutes ago that was never
  applied (received, or failed): the buyer paid and we granted nothing. Fixed by processing
  the stored IPN again, as the retry job would.
- "access, not paying": a plan whose next rebill date passed a day ago with no payment and no
  cancellation IPN, while its grant still gives access (within the grace period). There is
  nothing to replay: the creator checks the order in Digistore24.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from billing.models import Payment, ProviderEvent, ReconcileFinding, Subscription
from billing.providers.digistore24_listing import ipn_summary
from billing.reconcile.evidence import grant_evidence, moment, money
from members.access import grant_allows_access
from members.models import AccessGrant, User

NAME = "digistore24"
Kind = ReconcileFinding.Kind
Fix = ReconcileFinding.Fix
UNAPPLIED_AFTER = timedelta(minutes=15)
REBILL_LATE_AFTER = timedelta(days=1)


def _unapplied_payments(*, now: datetime) -> list[ReconcileFinding]:
    events = ProviderEvent.objects.filter(
        provider=NAME,
        event_type="on_payment",
        status__in=[ProviderEvent.Status.RECEIVED, ProviderEvent.Status.FAILED],
        received_at__lt=now - UNAPPLIED_AFTER,
    ).order_by("pk")
    findings = []
    for event in events:
        ipn = ipn_summary(event.payload)
        errors = [line for line in event.error.strip().splitlines() if line.strip()]
        email = ipn["email"]
        findings.append(
            ReconcileFinding(
                provider=NAME,
                kind=Kind.PAID_NO_ACCESS,
                subject_ref=ipn["order_id"] or event.event_id,
                email=email,
                member=User.objects.filter(email__iexact=email).first() if email else None,
                summary=f"payment IPN {event.event_id} stored but never applied ({event.status})",
                evidence={
                    "event": event.pk,
                    "event_id": event.event_id,
                    "status": event.status,
                    "received_at": moment(event.received_at),
                    "attempts": event.attempts,
                    "last_error": errors[-1] if errors else "",
                    "ipn": ipn,
                },
                fix=Fix.REPROCESS_EVENT,
                fix_payload={"event_pk": event.pk},
            )
        )
    return findings


def _late_rebills(*, now: datetime) -> list[ReconcileFinding]:
    subscriptions = list(
        Subscription.objects.filter(
            provider=NAME,
            status__in=[Subscription.Status.ACTIVE, Subscription.Status.TRIALING],
            cancel_at_period_end=False,
            current_period_end__lt=now - REBILL_LATE_AFTER,
        ).select_related("member", "order")
    )
    grants = defaultdict(list)
    for grant in AccessGrant.objects.filter(
        order_id__in=[subscription.order_id for subscription in subscriptions]
    ).select_related("product"):
        grants[grant.order_id].append(grant)
    findings = []
    for subscription in subscriptions:
        its_grants = grants[subscription.order_id]
        if not any(grant_allows_access(grant, now=now) for grant in its_grants):
            continue
        last = Payment.objects.filter(order_id=subscription.order_id).order_by("-paid_at").first()
        findings.append(
            ReconcileFinding(
                provider=NAME,
                kind=Kind.ACCESS_NOT_PAYING,
                subject_ref=subscription.provider_ref,
                member=subscription.member,
                email=subscription.member.email,
                summary=(
                    f"rebill due {subscription.current_period_end:%Y-%m-%d}: no payment and no "
                    "cancellation received"
                ),
                evidence={
                    "order": subscription.provider_ref,
                    "status": subscription.status,
                    "rebill_due": moment(subscription.current_period_end),
                    "last_payment": None
                    if last is None
                    else {
                        "id": last.provider_ref,
                        "paid_at": moment(last.paid_at),
                        **money(last.amount, last.currency),
                    },
                    "grants": [grant_evidence(grant, now=now) for grant in its_grants],
                },
            )
        )
    return findings


def compare(*, now: datetime) -> tuple[int, list[ReconcileFinding]]:
    """(plans checked, findings not yet saved), from stored IPNs only."""
    checked = Subscription.objects.filter(provider=NAME).count()
    return checked, _unapplied_payments(now=now) + _late_rebills(now=now)
