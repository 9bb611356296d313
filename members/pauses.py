"""Paused memberships: the clocks of a grant stop while its subscription is paused.

A Stripe ``pause_collection`` pauses the grants of the subscription's order. While paused the
member keeps what was open at the pause (access does not lapse for the invoices a pause leaves
unpaid), but nothing new opens: the drip clock and the "member for N months" clock stand still,
and on resume they go on where they stopped. The ledger (``GrantPause``) records each pause; the
grant row carries the sums, so a page computes everything from the grant it already loaded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from members.access import LIVE_STATES, ZERO, clock_now, membership_age, paused_time
from members.locks import lock_grant
from members.models import GrantEvent, GrantPause
from members.services import record_grant_event

__all__ = ["clock_now", "membership_age", "pause_grant", "paused_time", "resume_grant"]


def _days(span: timedelta) -> str:
    return f"{span.total_seconds() / 86400:.1f} days"


@transaction.atomic
def pause_grant(*, grant_pk: int, at: datetime, now: datetime, reason: str, source_event=None):
    """Stop the grant's clocks from ``at``; False if it is not live or already paused."""
    grant = lock_grant(pk=grant_pk)
    if grant.state not in LIVE_STATES or grant.paused_since is not None:
        return False
    grant.paused_since = at
    grant.save(update_fields=["paused_since", "updated_at"])
    GrantPause.objects.create(
        grant=grant, started_at=at, reason=reason[:200], source_event=source_event
    )
    record_grant_event(
        grant=grant, kind=GrantEvent.Kind.PAUSED, now=now, reason=reason,
        source_event=source_event,
    )  # fmt: skip
    return True


@transaction.atomic
def resume_grant(
    *,
    grant_pk: int,
    at: datetime,
    now: datetime,
    reason: str,
    paid_through: datetime | None = None,
    source_event=None,
) -> bool:
    """Restart the grant's clocks at ``at`` (they go on where they stopped); the paid-through
    date moves to ``paid_through`` if later (the provider's period after the resume). False if
    the grant is not paused."""
    grant = lock_grant(pk=grant_pk)
    if grant.paused_since is None:
        return False
    end = max(at, grant.paused_since)
    span = end - grant.paused_since
    grant.paused_total = (grant.paused_total or ZERO) + span
    grant.paused_since = None
    fields = ["paused_since", "paused_total", "updated_at"]
    later = paid_through is not None and grant.paid_through is not None
    if later and paid_through > grant.paid_through:
        grant.paid_through = paid_through
        fields.append("paid_through")
    grant.save(update_fields=fields)
    GrantPause.objects.filter(grant=grant, ended_at__isnull=True).update(ended_at=end)
    record_grant_event(
        grant=grant, kind=GrantEvent.Kind.RESUMED, now=now,
        reason=f"{reason} (paused {_days(span)}; clocks go on where they stopped)",
        source_event=source_event,
    )  # fmt: skip
    return True
