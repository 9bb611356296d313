"""Support actions: what a creator does for one member, each with a reason and an audit row.

Every service here is keyword-only, atomic and takes ``actor`` (the staff user, or None from the
command line), a non-blank ``reason`` and ``now``. Each locks the rows it changes, re-reads them
and changes nothing when the change is already done, so repeating an action is harmless. Bad
input raises ``SupportError`` (a ``ValueError`` with a one-line message) before anything is
written. The admin pages and the management commands are thin callers of these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from members.access import LIVE_STATES, access_ends_at, effective_state
from members.locks import lock_grant
from members.models import AccessGrant, GrantEvent, User
from members.services import record_grant_event

State = AccessGrant.State
Kind = GrantEvent.Kind


class SupportError(ValueError):
    """Bad input for a support action; the message is shown to the creator as is."""


@dataclass(frozen=True)
class GrantChange:
    """What a support action did to one grant (``changed`` False: it was already so)."""

    grant: AccessGrant
    changed: bool
    summary: str


def require_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise SupportError("a reason is required")
    return text


def _when(moment: datetime | None) -> str:
    return "lifetime" if moment is None else f"{moment:%Y-%m-%d %H:%M %Z}"


@transaction.atomic
def give_access_anyway(
    *,
    grant_pk: int,
    actor: User | None,
    reason: str,
    now: datetime,
    until: datetime | None = None,
) -> GrantChange:
    """Reopen an ended (or pending) grant, keeping its paid-through date, order and source.

    A subscriber stays a subscriber: renewals go on extending the same date, and the sweeps
    leave a grant whose activation window was missed alone. A paid-through date that has
    already passed (with its grace) would end access at once: then ``until`` (in the future)
    becomes the new paid-through date, and without it the call is refused. A grant that
    already gives access is left as it is.
    """
    reason = require_reason(reason)
    grant = lock_grant(pk=grant_pk)
    if effective_state(grant, now=now) in LIVE_STATES:
        return GrantChange(grant, False, f"{grant.product.slug}: already has access")
    paid_through = grant.paid_through
    if until is not None:
        if until <= now:
            raise SupportError(f"the until-date {_when(until)} is not in the future")
        paid_through = until if paid_through is None else max(paid_through, until)
    elif paid_through is not None and access_ends_at(grant) < now:
        raise SupportError(
            f"{grant.product.slug} was paid through {_when(paid_through)}, which has passed: "
            "give an until-date (or extend) to give access anyway"
        )
    grant.state = State.ACTIVE
    grant.paid_through = paid_through
    grant.ended_at = None
    grant.end_reason = ""
    grant.ended_unpaid = False
    grant.save(
        update_fields=[
            "state", "paid_through", "ended_at", "end_reason", "ended_unpaid", "updated_at",
        ]
    )  # fmt: skip
    record_grant_event(grant=grant, kind=Kind.REACTIVATED, now=now, actor=actor, reason=reason)
    return GrantChange(
        grant, True, f"{grant.product.slug}: access given anyway until {_when(paid_through)}"
    )
