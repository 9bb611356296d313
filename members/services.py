"""Writes on accounts and access grants. Every grant change leaves a GrantEvent in its transaction.

Whether a member gets in *now* is computed by ``members.access`` from these rows and the clock;
these services only move the stored state. Each one locks the grant, re-reads it and returns
without writing when the change is already done, so a repeated or late call changes nothing.
"""

from __future__ import annotations

import string
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import translation

from members.access import (
    LIVE_STATES,
    drip_start_on_repurchase,
    effective_state,
    grace_period,
)
from members.locks import grants_for_update, lock_grant
from members.models import AccessGrant, GrantEvent, User
from products.models import Product

if TYPE_CHECKING:
    from billing.models import Order, ProviderEvent

State = AccessGrant.State
Kind = GrantEvent.Kind


def normalize_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip())


def site_language(code: str) -> str:
    """The site language closest to ``code`` (``de-AT`` → ``de``); "" if we offer none."""
    try:
        return translation.get_supported_language_variant((code or "").strip(), strict=False)
    except LookupError:
        return ""


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def same_mailbox(stored: str, typed: str) -> bool:
    """Equal but for the case of ASCII letters. ``iexact`` (PostgreSQL's UPPER()) also folds
    ı and ſ to I and S: ``bob@gmaıl.com`` is another mailbox than ``bob@gmail.com``."""
    return stored.translate(_ASCII_LOWER) == typed.translate(_ASCII_LOWER)


def _member_with_address(address: str) -> User | None:
    candidates = User.objects.filter(email__iexact=address)
    return next((user for user in candidates if same_mailbox(user.email, address)), None)


def find_or_create_member(
    *, email: str, name: str = "", language: str = "", now: datetime
) -> tuple[User, bool]:
    """The member with this address (case-insensitive), created without a password if new.

    A new member keeps the language they bought in, so their e-mails speak it; an existing
    member's own choice is never overwritten. The unique constraint on the lower-cased address
    settles two workers creating the same member at once: the loser reads the winner's row.
    """
    address = normalize_email(email)
    if "@" not in address:
        raise ValueError(f"no usable e-mail address ({email!r})")
    existing = _member_with_address(address)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            member = User(
                email=address,
                name=(name or "")[:200],
                language=site_language(language),
                date_joined=now,
            )
            member.set_unusable_password()
            member.save()
    except IntegrityError:
        # A parallel worker created this member, or a look-alike (the Kelvin sign K lowers to
        # k) collides with another member's address under the unique LOWER() constraint.
        existing = _member_with_address(address)
        if existing is None:
            raise ValueError(f"address taken by a look-alike ({email!r})") from None
        return existing, False
    return member, True


def record_grant_event(
    *,
    grant: AccessGrant,
    kind: str,
    now: datetime,
    reason: str = "",
    actor: User | None = None,
    source_event: ProviderEvent | None = None,
) -> GrantEvent:
    """Call inside the transaction that changed the grant."""
    return GrantEvent.objects.create(
        grant=grant, kind=kind, at=now, reason=reason[:500], actor=actor, source_event=source_event
    )


def _locked_grant(*, member: User, product: Product, defaults: dict) -> tuple[AccessGrant, bool]:
    """Get or create the (member, product) grant, locked; the unique constraint settles races."""
    grant = grants_for_update().filter(member=member, product=product).first()
    if grant is not None:
        return grant, False
    try:
        with transaction.atomic():
            return AccessGrant.objects.create(member=member, product=product, **defaults), True
    except IntegrityError:
        return grants_for_update().get(member=member, product=product), False


def _later(current: datetime | None, new: datetime | None) -> datetime | None:
    """Lifetime (None) wins; otherwise the later paid-through date."""
    if current is None or new is None:
        return None
    return max(current, new)


# No savepoint of its own: no caller catches its errors, and an error rolls back the caller's
# transaction (or savepoint), so a nested call costs no SAVEPOINT / RELEASE round trips.
@transaction.atomic(savepoint=False)
def grant_access(
    *,
    member: User,
    product: Product,
    order: Order | None,
    paid_through: datetime | None,
    source: str,
    now: datetime,
    is_test: bool = False,
    source_event: ProviderEvent | None = None,
    actor: User | None = None,
    reason: str = "",
    withheld_until: datetime | None = None,
) -> AccessGrant:
    """Grant, extend, restore or reactivate access to one product; never a second grant row.

    A live grant is extended to the later paid-through date (and restored from grace); an ended
    grant is reactivated, keeping its row and its history. A payment whose period (plus grace)
    has already passed reactivates nothing.

    ``withheld_until`` (an order without a withdrawal waiver, ``billing.waiver``): a new or
    reactivated grant is pending until then, and its drip clock starts then. A live grant being
    extended is not held back.
    """
    audit = {"now": now, "source_event": source_event, "actor": actor, "reason": reason}
    if withheld_until is not None and withheld_until <= now:
        withheld_until = None
    opening = dict(audit)  # what a new or reactivated grant records
    if withheld_until is not None:
        opens = f"{withheld_until:%Y-%m-%d %H:%M} UTC"
        opening["reason"] = f"{reason}; no withdrawal waiver: access opens {opens}"
    grant, created = _locked_grant(
        member=member,
        product=product,
        defaults={
            "state": State.ACTIVE,
            "source": source,
            "order": order,
            "starts_at": withheld_until or now,
            "withheld_until": withheld_until,
            "paid_through": paid_through,
            "is_test": is_test,
        },
    )
    if created:
        record_grant_event(grant=grant, kind=Kind.GRANTED, **opening)
        return grant
    if effective_state(grant, now=now) in LIVE_STATES:
        return _extend(
            grant=grant,
            order=order,
            paid_through=paid_through,
            paid_by={"source": source, "is_test": is_test},
            audit=audit,
        )
    if paid_through is not None and paid_through + grace_period() < now:
        return grant
    starts_at = drip_start_on_repurchase(grant=grant, product=product, order=order, now=now)
    if starts_at != grant.starts_at:
        grant.paused_total = timedelta(0)  # a new drip clock: earlier pauses do not count
    elif grant.paused_since is not None:  # it ended while paused: the pause ends now
        grant.paused_total += max(timedelta(0), now - grant.paused_since)
    if grant.paused_since is not None:
        grant.pauses.filter(ended_at__isnull=True).update(ended_at=max(now, grant.paused_since))
    grant.paused_since = None
    # A restarted drip clock starts when access opens; a continued one keeps its start.
    grant.starts_at = withheld_until if withheld_until and starts_at >= now else starts_at
    grant.withheld_until = withheld_until
    grant.state = State.ACTIVE
    grant.paid_through = paid_through
    grant.ended_at = None
    grant.end_reason = ""
    grant.ended_unpaid = False
    grant.order = order
    grant.source = source
    grant.is_test = is_test
    grant.save()
    record_grant_event(grant=grant, kind=Kind.REACTIVATED, **opening)
    return grant


def _extend(
    *,
    grant: AccessGrant,
    order: Order | None,
    paid_through: datetime | None,
    paid_by: dict,
    audit: dict,
) -> AccessGrant:
    """Extend to the later paid-through date; the order that pays furthest owns the grant, and
    the grant shows that order's source and test flag (``paid_by``)."""
    new_paid_through = _later(grant.paid_through, paid_through)
    extended = new_paid_through != grant.paid_through
    restored = grant.state == State.GRACE
    if not (extended or restored):
        return grant
    grant.paid_through = new_paid_through
    grant.state = State.ACTIVE
    if extended and order is not None:
        grant.order = order
        grant.source = paid_by["source"]
        grant.is_test = paid_by["is_test"]
    grant.save(update_fields=["paid_through", "state", "order", "source", "is_test", "updated_at"])
    if restored:
        record_grant_event(grant=grant, kind=Kind.RESTORED, **audit)
    if extended:
        record_grant_event(grant=grant, kind=Kind.EXTENDED, **audit)
    return grant


def _transition(
    *,
    grant_pk: int,
    from_state: str,
    to_state: str,
    kind: str,
    now: datetime,
    reason: str,
    source_event: ProviderEvent | None,
) -> bool:
    """Move a locked grant from one state to another with its audit row; False if not in it."""
    grant = lock_grant(pk=grant_pk)
    if grant.state != from_state:
        return False
    grant.state = to_state
    grant.save(update_fields=["state", "updated_at"])
    record_grant_event(grant=grant, kind=kind, now=now, reason=reason, source_event=source_event)
    return True


@transaction.atomic
def move_to_grace(
    *, grant_pk: int, now: datetime, reason: str, source_event: ProviderEvent | None = None
) -> bool:
    """Active to grace (access kept until paid-through plus grace); False if not active."""
    return _transition(
        grant_pk=grant_pk, from_state=State.ACTIVE, to_state=State.GRACE, kind=Kind.GRACE,
        now=now, reason=reason, source_event=source_event,
    )  # fmt: skip


@transaction.atomic
def restore_grant(
    *, grant_pk: int, now: datetime, reason: str, source_event: ProviderEvent | None = None
) -> bool:
    """Grace back to active; False if the grant is not in grace."""
    return _transition(
        grant_pk=grant_pk, from_state=State.GRACE, to_state=State.ACTIVE, kind=Kind.RESTORED,
        now=now, reason=reason, source_event=source_event,
    )  # fmt: skip


@transaction.atomic
def note_cancellation(
    *,
    grant_pk: int,
    scheduled: bool,
    now: datetime,
    reason: str,
    source_event: ProviderEvent | None = None,
    actor: User | None = None,
) -> bool:
    """Audit a cancellation scheduled for the period end (or withdrawn); access is unchanged."""
    grant = lock_grant(pk=grant_pk)
    if grant.state not in LIVE_STATES:
        return False
    kind = Kind.CANCEL_SCHEDULED if scheduled else Kind.NOTE
    record_grant_event(
        grant=grant, kind=kind, now=now, reason=reason, source_event=source_event, actor=actor
    )
    return True


@transaction.atomic
def hand_over_grant(
    *,
    grant_pk: int,
    order: Order,
    paid_through: datetime | None,
    source: str,
    now: datetime,
    reason: str,
    restore: bool = True,
    source_event: ProviderEvent | None = None,
) -> bool:
    """A live grant whose order stopped paying (refunded, charged back, ended), but which another
    paid order still covers: it now belongs to that order, with its source and test flag, and
    lasts as that order pays. ``restore`` lifts a grace period the old order's missed payment
    started. The audit row carries ``reason``. False if the grant had ended."""
    grant = lock_grant(pk=grant_pk)
    if grant.state not in LIVE_STATES:
        return False
    grant.order = order
    grant.paid_through = paid_through
    grant.source = source
    grant.is_test = order.is_test
    if restore and grant.state == State.GRACE:
        grant.state = State.ACTIVE
    grant.save(update_fields=["order", "paid_through", "source", "is_test", "state", "updated_at"])
    record_grant_event(
        grant=grant, kind=Kind.NOTE, now=now, reason=reason, source_event=source_event
    )
    return True


@transaction.atomic
def end_grant(
    *,
    grant_pk: int,
    state: str,
    now: datetime,
    reason: str,
    source_event: ProviderEvent | None = None,
    actor: User | None = None,
    unpaid_if_in_grace: bool = False,
) -> bool:
    """Expire or revoke a live (or pending) grant; False if it had already ended.

    ``unpaid_if_in_grace``: a grant that ends while in grace ended for want of payment (the
    member is offered to fix billing), unlike one whose subscription was cancelled.
    """
    if state not in (State.EXPIRED, State.REVOKED):
        raise ValueError(f"a grant ends as expired or revoked, not {state!r}")
    grant = lock_grant(pk=grant_pk)
    if grant.state in (State.EXPIRED, State.REVOKED):
        return False
    grant.ended_unpaid = unpaid_if_in_grace and grant.state == State.GRACE
    grant.state = state
    grant.ended_at = now
    grant.end_reason = reason[:200]
    grant.save(update_fields=["state", "ended_at", "end_reason", "ended_unpaid", "updated_at"])
    kind = Kind.EXPIRED if state == State.EXPIRED else Kind.REVOKED
    record_grant_event(
        grant=grant, kind=kind, now=now, reason=reason, source_event=source_event, actor=actor
    )
    return True
