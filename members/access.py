"""Whether a grant lets its member in at a given moment, computed from data and the clock.

Stored states change through services and sweeps; this module never writes. A paid-through date
that has passed without a renewal gives the grace period and then no access, even if no webhook
and no sweep ever ran.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from members.models import AccessGrant

State = AccessGrant.State
LIVE_STATES = (State.ACTIVE, State.GRACE)


def grace_period() -> timedelta:
    return timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)


def access_ends_at(grant: AccessGrant) -> datetime | None:
    """The last moment of access for a live grant: paid-through plus grace (None: lifetime)."""
    if grant.paid_through is None:
        return None
    return grant.paid_through + grace_period()


def effective_state(grant: AccessGrant, *, now: datetime) -> str:
    """The state a member experiences now: ``active``, ``grace``, ``expired``, ``revoked``..."""
    if grant.state not in LIVE_STATES:
        return grant.state
    if grant.paid_through is None or now <= grant.paid_through:
        return grant.state
    if now <= grant.paid_through + grace_period():
        return State.GRACE
    return State.EXPIRED


def grant_allows_access(grant: AccessGrant | None, *, now: datetime) -> bool:
    return grant is not None and effective_state(grant, now=now) in LIVE_STATES
