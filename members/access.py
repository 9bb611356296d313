"""Whether a member gets into a product or a lesson at a given moment, computed from data.

Stored states change through services and sweeps; this module never writes. A paid-through date
that has passed without a renewal gives the grace period and then no access, even if no webhook
and no sweep ever ran. Drip dates are computed in the member's time zone (lessons open at local
midnight), so a late or stopped worker never locks out a paying member.

The drip clock is stable: a lesson recorded as opened for the member since the grant's drip start
(a notice row from the drip sweep, or a view of the open lesson) stays open while the member has
access, even when the creator later moves its offset. The drip start is ``grant.starts_at``; see
``drip_start_on_repurchase`` for what a new purchase of an ended grant does to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from members.models import AccessGrant
from membership_site.remembered import Remembered
from membership_site.rows import columns_for, fetch_one
from products.models import Lesson, Product

if TYPE_CHECKING:
    from products.outline import Outline, OutlineLesson

State = AccessGrant.State
LIVE_STATES = (State.ACTIVE, State.GRACE)

OPEN = "open"
LOCKED = "locked"
NO_ACCESS = "no_access"


ZERO = timedelta(0)


def grace_period() -> timedelta:
    return timedelta(days=settings.MEMBERSHIP_GRACE_DAYS)


def access_ends_at(grant: AccessGrant) -> datetime | None:
    """The last moment of access for a live grant: paid-through plus grace (None: lifetime)."""
    if grant.paid_through is None:
        return None
    return grant.paid_through + grace_period()


def effective_state(grant: AccessGrant, *, now: datetime) -> str:
    """The state a member experiences now: ``active``, ``grace``, ``expired``, ``revoked``...

    Past paid-through, a live grant keeps its stored state until the grace period is over: a
    renewal is usually charged a little after the period ends, and only a recorded failure
    (stored ``grace``) should tell a paying member their payment did not go through. After
    paid-through plus grace it is expired, whether or not a webhook or the sweep said so.

    A live grant withheld for want of a withdrawal waiver (``billing.waiver``) is ``pending``
    until ``withheld_until`` and opens then by the clock alone.
    """
    if grant.state not in LIVE_STATES:
        return grant.state
    if grant.withheld_until is not None and now < grant.withheld_until:
        return State.PENDING
    if grant.paid_through is None or now <= grant.paid_through + grace_period():
        return grant.state
    if grant.paused_since is not None:
        return grant.state  # paused: what was open stays open; the pause bills nothing
    return State.EXPIRED


def pending_until(grant: AccessGrant, *, now: datetime) -> datetime | None:
    """When a grant that is pending now opens (no withdrawal waiver); None if it is not."""
    if effective_state(grant, now=now) == State.PENDING:
        return grant.withheld_until
    return None


def access_until(grant: AccessGrant, *, state: str) -> datetime | None:
    """Until when, as support reads it: the paid-through date of a live grant (None: lifetime),
    or the moment an ended one ended (``manage.py access`` and the admin's member page)."""
    if state in LIVE_STATES:
        return grant.paid_through
    return grant.ended_at or access_ends_at(grant)


def grant_allows_access(grant: AccessGrant | None, *, now: datetime) -> bool:
    return grant is not None and effective_state(grant, now=now) in LIVE_STATES


def drip_start_on_repurchase(
    *, grant: AccessGrant, product: Product, order, now: datetime
) -> datetime:
    """The drip start when ``order`` pays for ``grant``'s product again (for the grant service).

    A live grant keeps its clock, and so does a further payment of the grant's own order (a
    renewal paid late, after access lapsed). An ended grant bought again by a new order
    continues from its original start unless the product says ``restart_drip_on_repurchase``;
    then the schedule counts from ``now``. "Ended" is the effective state: the same whether or
    not the lapse sweep has run yet.
    """
    ended = effective_state(grant, now=now) not in LIVE_STATES
    new_order = order is not None and order.pk != grant.order_id
    if ended and new_order and product.restart_drip_on_repurchase:
        return now
    return grant.starts_at


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first moment of ``day`` in ``tz`` (aware; correct on DST change days)."""
    return datetime.combine(day, time.min, tzinfo=tz)


def paused_time(grant: AccessGrant, *, now: datetime) -> timedelta:
    """How long the grant's clocks stood still up to ``now`` (closed pauses plus an open one)."""
    total = grant.paused_total or ZERO
    if grant.paused_since is not None and now > grant.paused_since:
        total += now - grant.paused_since
    return total


def membership_age(grant: AccessGrant, *, now: datetime) -> timedelta:
    """The member's active time on the grant ("member for N months"): since its start, less
    the time it was paused; it stands still while paused."""
    return max(ZERO, now - grant.starts_at - paused_time(grant, now=now))


def clock_now(grant: AccessGrant, *, now: datetime) -> datetime:
    """The latest moment that counts on the grant's clocks: the pause's start while paused."""
    if grant.paused_since is not None and grant.paused_since < now:
        return grant.paused_since
    return now


@lru_cache(maxsize=8192)  # pure: a dashboard asks it once per lesson, with a few distinct inputs
def drip_opens_at(
    *, starts_at: datetime, paused_total: timedelta | None, offset_days: int, tz: ZoneInfo
) -> datetime:
    """A drip lesson's opening: local midnight of the start's date plus the offset, later by
    the time the grant was paused (the drip clock stood still meanwhile)."""
    day = starts_at.astimezone(tz).date() + timedelta(days=offset_days)
    return local_midnight(day, tz) + (paused_total or ZERO)


# Openings already worked out, by drip clock (start, pauses, zone) and then by offset or fixed
# date: pure values, so they hold across requests. At most 1,024 clocks per process (4,096 of
# 100 openings each came to ~40 MB); past that, new clocks are worked out per request.
_openings_by_clock = Remembered(max_entries=1024)


class Openings:
    """``lesson_opens_at`` for one grant and zone. Every course page asks it for each lesson,
    the dashboard for each lesson of every course: here each answer costs a dictionary read once
    known (``drip_opens_at``'s cache hashes its four arguments on every call), and comes with
    the same moment in UTC. Comparing a time in a member's zone with ``now`` (UTC) makes
    ``zoneinfo`` work out the zone's rules for that date (1.1 µs against 0.06 µs between two UTC
    times): a tenth of the dashboard's instructions went there."""

    __slots__ = ("_grant", "_known", "_tz")

    def __init__(self, grant: AccessGrant, tz: ZoneInfo) -> None:
        known = _openings_by_clock.get((grant.starts_at, grant.paused_total, tz), dict)
        self._grant, self._known, self._tz = grant, known, tz

    def each(self, lessons: list[OutlineLesson]) -> list[tuple[datetime, datetime]]:
        """``self(lesson)`` for each of an outline's lessons, in one pass."""
        known = self._known
        return [known.get(lesson.opening_key) or self(lesson) for lesson in lessons]

    def by_time(self, outline: Outline) -> tuple[list[datetime], list[tuple]]:
        """The outline's lessons by opening: the UTC moments in ascending order (to bisect),
        and for each (UTC moment, index in the outline, local opening). Ties keep course
        order. Kept with the clock's openings, one per product: for this very outline object
        only (an edited course is another outline), so it never outgrows the course count."""
        key = ("by time", outline.product_pk)
        found = self._known.get(key)
        if found is None or found[0] is not outline:
            entries = sorted(
                (utc, index, local) for index, (local, utc) in enumerate(self.each(outline.lessons))
            )
            found = self._known[key] = (outline, [entry[0] for entry in entries], entries)
        return found[1], found[2]

    def __call__(self, lesson: Lesson) -> tuple[datetime, datetime]:
        """The opening in the member's zone, and the same moment in UTC: comparing it with
        ``now`` (UTC) then needs no zone lookups."""
        key = lesson.opens_on or lesson.offset_days  # a date, else the offset
        found = self._known.get(key)
        if found is None:
            local = lesson_opens_at(grant=self._grant, lesson=lesson, tz=self._tz)
            found = self._known[key] = (local, local.astimezone(UTC))
        return found


def lesson_opens_at(*, grant: AccessGrant, lesson: Lesson, tz: ZoneInfo) -> datetime:
    """Local midnight of the fixed date, or of the drip start's local date plus the offset
    (moved on by closed pauses)."""
    if lesson.opens_on is not None:
        return local_midnight(lesson.opens_on, tz)
    return drip_opens_at(
        starts_at=grant.starts_at, paused_total=grant.paused_total,
        offset_days=lesson.offset_days, tz=tz,
    )  # fmt: skip


@dataclass(frozen=True)
class LessonState:
    """``open``, ``locked`` (until ``opens_at``) or ``no_access``."""

    status: str
    opens_at: datetime | None = None
    is_preview: bool = False

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def is_locked(self) -> bool:
        return self.status == LOCKED

    @property
    def has_access(self) -> bool:
        return self.status != NO_ACCESS


def compute_lesson_state(
    *,
    grant: AccessGrant | None,
    lesson: Lesson,
    tz: ZoneInfo,
    now: datetime,
    recorded_open_at: datetime | None = None,
    openings: Openings | None = None,
) -> LessonState:
    """The lesson's state for the grant's member; pure, so pages compute many without queries.

    ``recorded_open_at`` is the latest moment the lesson was recorded open for the member; it
    keeps the lesson open only if it lies within the grant's current drip clock. ``openings``
    (``Openings(grant, tz)``) lets a page that asks for every lesson of a course make it once.
    """
    if lesson.is_free_preview:
        return LessonState(OPEN, is_preview=True)
    if grant is None or not grant_allows_access(grant, now=now):
        return LessonState(NO_ACCESS)
    opens_at, opens_at_utc = (openings or Openings(grant, tz))(lesson)
    if opens_at_utc <= clock_now(grant, now=now):
        return LessonState(OPEN, opens_at=opens_at)
    if recorded_open_at is not None and recorded_open_at >= grant.starts_at:
        return LessonState(OPEN, opens_at=opens_at)
    if grant.paused_since is not None and lesson.opens_on is None:
        opens_at += now - clock_now(grant, now=now)  # as if resumed now
    return LessonState(LOCKED, opens_at=opens_at)


@cache
def _own_grant_sql(vendor: str) -> str:
    grant = columns_for(AccessGrant, "g")
    return (
        f"SELECT {grant.sql} FROM {AccessGrant._meta.db_table} g "  # noqa: S608 - names from the model
        "WHERE g.member_id = %s AND g.product_id = %s ORDER BY g.id LIMIT 1"
    )


def _own_grant(*, member_pk: int, product_pk: int) -> AccessGrant | None:
    """The member's own grant of the product (unique per pair), read on every member page:
    SQL written once (``membership_site.rows``), not a queryset built per request."""
    row = fetch_one(_own_grant_sql(connection.vendor), [member_pk, product_pk])
    return None if row is None else columns_for(AccessGrant, "g").build(row)


def grant_for(*, member, product: Product) -> AccessGrant | None:
    """The member's grant of ``product``; for a course without a live grant of its own, the
    grant derived from a membership tier that includes it (``magazine.access``), if any."""
    if not member.is_authenticated:
        return None
    grant = _own_grant(member_pk=member.pk, product_pk=product.pk)
    if product.is_course and (grant is None or grant.state not in LIVE_STATES):
        from magazine.access import course_grant_via_tier

        return course_grant_via_tier(member=member, course=product) or grant
    return grant


def lesson_state(*, member, lesson: Lesson, now: datetime) -> LessonState:
    """The one question every view, download and template asks about a lesson (two queries)."""
    from members.selectors import recorded_openings

    if not member.is_authenticated:
        return LessonState(NO_ACCESS)
    grant = grant_for(member=member, product=lesson.module.product)
    recorded = {}
    if grant is not None and not lesson.is_free_preview:
        recorded = recorded_openings(member=member, lessons=[lesson.pk])
    return compute_lesson_state(
        grant=grant,
        lesson=lesson,
        tz=member.zone,
        now=now,
        recorded_open_at=recorded.get(lesson.pk),
    )


def product_allows_access(*, member, product: Product, now: datetime) -> bool:
    return grant_allows_access(grant_for(member=member, product=product), now=now)
