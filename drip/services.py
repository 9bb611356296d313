"""The drip jobs' services: set-based, batched, safe to run twice or on two workers at once.

Every function takes ``now``. Rows that are due are found by one query, changed by bulk writes,
and e-mails go out after commit, carrying ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from billing.models import Subscription
from drip.models import LessonNotice
from members.access import LIVE_STATES, drip_opens_at, grace_period, local_midnight
from members.models import AccessGrant, GrantEvent
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue
from products.models import Lesson, Product

OutboxKind = OutboxMessage.Kind

LAPSE_REASON = "paid-through date plus grace passed without a payment"
CANCELLED_RAN_OUT_REASON = "cancelled subscription: paid time ran out"
COMPLIMENTARY_ENDED_REASON = "complimentary access reached its end"
ACTIVATION_EXPIRED_REASON = "activation window passed unused: access expired"
ACTIVATION_MARKED_REASON = "activation window passed unused: access kept and marked"
# A lesson opens at local midnight of (local start date + offset): never more than about 25
# hours before ``starts_at + offset`` whatever the zone or DST, so the SQL filter is widened by
# 26 hours and the exact moment is checked per row in the member's zone.
_WIDEST_EARLY_OPENING = timedelta(hours=26)
_EARLIEST_ZONE_AHEAD = timedelta(hours=14)  # UTC+14 sees a fixed date first
NOTICE_FRESHNESS = timedelta(days=7)  # older openings are recorded, not mailed


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _lesson_may_be_open_q(*, now: datetime) -> Q:
    """Pairs whose lesson may have opened by ``now`` (a superset; see the module constants)."""
    lesson = "product__modules__lessons__"
    condition = Q(**{f"{lesson}opens_on__lte": (now + _EARLIEST_ZONE_AHEAD).date()})
    offsets = (
        Lesson.objects.filter(drip_days__isnull=False)
        .values_list("drip_days", flat=True)
        .distinct()
        .order_by()
    )
    for days in offsets:
        latest_start = now - timedelta(days=days) + _WIDEST_EARLY_OPENING
        condition |= Q(**{f"{lesson}drip_days": days, "starts_at__lte": latest_start})
    return condition


def notice_candidates(*, now: datetime) -> QuerySet:
    """One query: (member, lesson) pairs of grants that allow access now, whose lesson may have
    opened and that have no notice row yet."""
    lesson = "product__modules__lessons__"
    already = LessonNotice.objects.filter(
        member_id=OuterRef("member_id"), lesson_id=OuterRef(f"{lesson}id")
    )
    return (
        AccessGrant.objects.filter(
            Q(paid_through__isnull=True)
            | Q(paid_through__gte=now - grace_period())
            | Q(paused_since__isnull=False),
            Q(withheld_until__isnull=True) | Q(withheld_until__lte=now),
            _lesson_may_be_open_q(now=now),
            ~Exists(already),
            state__in=LIVE_STATES,
            product__is_published=True,
            product__kind=Product.Kind.COURSE,
        )
        .order_by()
        .values_list(
            "member_id",
            f"{lesson}id",
            "starts_at",
            "member__time_zone",
            "member__lesson_notifications",
            f"{lesson}drip_days",
            f"{lesson}opens_on",
            "paused_since",
            "paused_total",
        )
    )


def _due_notices(rows: Iterable[tuple], *, now: datetime) -> Iterator[LessonNotice]:
    for row in rows:
        member_pk, lesson_pk, starts_at, zone_name, wants_mail, drip_days, opens_on = row[:7]
        paused_since, paused_total = row[7:]
        tz = _zone(zone_name)
        if opens_on:
            opens_at = local_midnight(opens_on, tz)
        else:
            opens_at = drip_opens_at(
                starts_at=starts_at, paused_total=paused_total, offset_days=drip_days or 0, tz=tz
            )
        if opens_at > now or (paused_since is not None and opens_at > paused_since):
            continue  # not yet, or not while the membership is paused
        # Lessons open at purchase are announced by the welcome e-mail, not one by one; lessons
        # that opened long ago (while access had lapsed, or while the worker was down) are
        # recorded without a mail, so a returning member gets no burst of stale news.
        send = wants_mail and starts_at < opens_at and now - opens_at <= NOTICE_FRESHNESS
        yield LessonNotice(
            member_id=member_pk,
            lesson_id=lesson_pk,
            status=LessonNotice.Status.PENDING if send else LessonNotice.Status.SKIPPED,
            opened_at=opens_at,
            created_at=now,
        )


def record_opened_lessons(*, now: datetime, batch_size: int = 2000) -> int:
    """Write one notice row per (member, lesson) that has opened; returns rows attempted.

    One query streams the candidates; rows are inserted in batches and a row another worker
    wrote first is skipped by the unique constraint, so a repeat or parallel run adds nothing.
    """
    written = 0
    batch: list[LessonNotice] = []
    rows = notice_candidates(now=now).iterator(chunk_size=5000)
    for notice in _due_notices(rows, now=now):
        batch.append(notice)
        if len(batch) >= batch_size:
            LessonNotice.objects.bulk_create(batch, ignore_conflicts=True)
            written += len(batch)
            batch = []
    if batch:
        LessonNotice.objects.bulk_create(batch, ignore_conflicts=True)
        written += len(batch)
    return written


def claim_pending_notices(*, now: datetime, limit: int = 500) -> list[int]:
    """Mark up to ``limit`` pending notices sent and write their e-mails to the outbox.

    Rows locked by another worker are skipped, so each notice is claimed once and gets one
    outbox row: its e-mail goes out at most once, after commit (a failed send is retried by
    the outbox).
    """
    with transaction.atomic():
        pending = LessonNotice.objects.filter(status=LessonNotice.Status.PENDING).order_by("pk")
        rows = list(
            pending.select_for_update(skip_locked=True).values_list("pk", "member_id")[:limit]
        )
        if not rows:
            return []
        pks = [pk for pk, _member_pk in rows]
        LessonNotice.objects.filter(pk__in=pks, status=LessonNotice.Status.PENDING).update(
            status=LessonNotice.Status.SENT, sent_at=now
        )
        enqueue(
            *(
                Outgoing(
                    kind=OutboxKind.LESSON_NOTICE, member_id=member_pk, payload={"notice_pk": pk}
                )
                for pk, member_pk in rows
            ),
            now=now,
        )
    return pks


def _expire(pks: list[int], *, now: datetime, reason: str, **fields) -> None:
    """One statement: the grants are expired now, for ``reason`` (plus ``fields``)."""
    AccessGrant.objects.filter(pk__in=pks).update(
        state=AccessGrant.State.EXPIRED, ended_at=now, end_reason=reason, updated_at=now, **fields
    )


def expire_lapsed_grants(*, now: datetime, limit: int = 5000) -> list[int]:
    """Expire live grants whose paid-through date plus grace has passed; audit row and e-mail.

    Access already ended at that moment (the access service computes it); this makes the stored
    state say so and tells the member (an outbox row per grant, sent after commit). A grant
    renewed meanwhile no longer matches the filter.
    """
    cancelled = Subscription.objects.filter(
        order_id=OuterRef("order_id"), cancel_at_period_end=True
    )
    with transaction.atomic():
        due = AccessGrant.objects.filter(
            state__in=LIVE_STATES, paid_through__lt=now - grace_period(), paused_since__isnull=True
        ).order_by("pk")
        pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        if not pks:
            return []
        # A subscription the member cancelled simply ran out: no "we got no payment" mail;
        # nor for complimentary access (given by support) that reached its end.
        ran_out = set(
            AccessGrant.objects.filter(pk__in=pks, order__isnull=False)
            .filter(Exists(cancelled))
            .values_list("pk", flat=True)
        )
        gifts = set(
            AccessGrant.objects.filter(
                pk__in=pks, source=AccessGrant.Source.COMPLIMENTARY
            ).values_list("pk", flat=True)
        )
        unpaid = [pk for pk in pks if pk not in ran_out and pk not in gifts]
        for chosen, reason, is_unpaid in (
            (unpaid, LAPSE_REASON, True),
            (sorted(ran_out - gifts), CANCELLED_RAN_OUT_REASON, False),
            (sorted(gifts), COMPLIMENTARY_ENDED_REASON, False),
        ):
            if not chosen:
                continue
            _expire(chosen, now=now, reason=reason, ended_unpaid=is_unpaid)
            GrantEvent.objects.bulk_create(
                GrantEvent(grant_id=pk, kind=GrantEvent.Kind.EXPIRED, at=now, reason=reason)
                for pk in chosen
            )
        members = dict(AccessGrant.objects.filter(pk__in=unpaid).values_list("pk", "member_id"))
        enqueue(
            *(
                Outgoing(
                    kind=OutboxKind.LAPSE_EMAIL, member_id=members[pk], payload={"grant_pk": pk}
                )
                for pk in unpaid
            ),
            now=now,
        )
    return pks


def _activation_due_q(*, now: datetime) -> Q | None:
    windows = (
        Product.objects.filter(activation_window_days__isnull=False)
        .values_list("activation_window_days", flat=True)
        .distinct()
        .order_by()
    )
    condition = None
    for days in windows:
        part = Q(product__activation_window_days=days, starts_at__lt=now - timedelta(days=days))
        condition = part if condition is None else condition | part
    return condition


def apply_activation_windows(*, now: datetime, limit: int = 5000) -> list[int]:
    """Flag live grants never used within their product's window; expire them if it says so."""
    condition = _activation_due_q(now=now)
    if condition is None:
        return []
    expire = Product.ActivationWindowAction.EXPIRE
    with transaction.atomic():
        due = AccessGrant.objects.filter(
            condition,
            state__in=LIVE_STATES,
            first_used_at__isnull=True,
            activation_missed_at__isnull=True,
        ).order_by("pk")
        rows = list(
            due.select_for_update(skip_locked=True, of=("self",)).values_list(
                "pk", "product__activation_window_action"
            )[:limit]
        )
        expired = [pk for pk, action in rows if action == expire]
        marked = [pk for pk, action in rows if action != expire]
        _expire(expired, now=now, reason=ACTIVATION_EXPIRED_REASON, activation_missed_at=now)
        AccessGrant.objects.filter(pk__in=marked).update(activation_missed_at=now, updated_at=now)
        missed = GrantEvent.Kind.ACTIVATION_MISSED
        GrantEvent.objects.bulk_create(
            [
                GrantEvent(grant_id=pk, kind=missed, at=now, reason=ACTIVATION_EXPIRED_REASON)
                for pk in expired
            ]
            + [
                GrantEvent(
                    grant_id=pk,
                    kind=GrantEvent.Kind.EXPIRED,
                    at=now,
                    reason=ACTIVATION_EXPIRED_REASON,
                )
                for pk in expired
            ]
            + [
                GrantEvent(grant_id=pk, kind=missed, at=now, reason=ACTIVATION_MARKED_REASON)
                for pk in marked
            ]
        )
    return [pk for pk, _action in rows]
