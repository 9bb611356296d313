"""Time-travel preview: what happens to a member in the next N days if nothing else happens.

Which lessons open when (in the member's zone), which e-mails the drip jobs would send, when a
renewal is due, and when grace and lapse would come if no payment arrives. Every moment is asked
of the code the site runs, with a moved clock: ``compute_lesson_state`` and ``effective_state``
(``members.access``) say what the member would see then, and the drip sweep's own
``_due_notices`` says whether a lesson e-mail would go out. Nothing is written: the preview works
on rows already loaded for the member page and builds no model instance it could save.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from billing.models import Subscription
from drip.models import LessonNotice
from drip.services import _due_notices
from members.access import (
    LIVE_STATES,
    access_ends_at,
    compute_lesson_state,
    effective_state,
    grant_allows_access,
)
from members.models import AccessGrant, User
from products.models import Lesson, Product

MAX_DAYS = 366
DEFAULT_DAYS = 30
# When the beat jobs (drip.schedule) would first see a moment: every 15 minutes for lesson
# notices, at :05 and :35 for lapses.
NOTICE_SWEEP = timedelta(minutes=15)
LAPSE_SWEEP = timedelta(minutes=30)
_TICK = timedelta(seconds=1)


@dataclass(frozen=True)
class PreviewItem:
    at: datetime
    kind: str  # lesson_opens, lesson_email, renewal_due, subscription_ends, grace, lapse, ...
    product: str
    text: str
    is_email: bool = False


def _next_run(moment: datetime, every: timedelta, offset: timedelta = timedelta(0)) -> datetime:
    """The first run of a job that runs every ``every`` (plus ``offset``) at or after ``moment``."""
    start = moment.replace(minute=0, second=0, microsecond=0) + offset
    while start < moment:
        start += every
    return start


def _lesson_items(
    *, member: User, grant: AccessGrant, lessons: list[Lesson], noticed: set[int],
    recorded: dict[int, datetime], now: datetime, end: datetime,
) -> list[PreviewItem]:  # fmt: skip
    tz = member.zone
    items = []
    if grant.paused_since is not None:
        return items  # paused: nothing opens until the subscription resumes
    for lesson in lessons:
        state = compute_lesson_state(grant=grant, lesson=lesson, tz=tz, now=now,
                                     recorded_open_at=recorded.get(lesson.pk))  # fmt: skip
        if not state.is_locked or state.opens_at > end:
            continue
        opens_at = state.opens_at
        then = compute_lesson_state(grant=grant, lesson=lesson, tz=tz, now=opens_at)
        name = grant.product.name
        if not then.is_open:
            items.append(PreviewItem(opens_at, "lesson_no_access", name, _(
                "“%(lesson)s” would open, but access has ended by then"
            ) % {"lesson": lesson.title}))  # fmt: skip
            continue
        items.append(PreviewItem(opens_at, "lesson_opens", name,
                                 _("“%(lesson)s” opens") % {"lesson": lesson.title}))  # fmt: skip
        sweep = _next_run(opens_at, NOTICE_SWEEP)
        mailed = _notice_mailed(member=member, grant=grant, lesson=lesson, sweep=sweep)
        if lesson.pk not in noticed and mailed:
            items.append(PreviewItem(sweep, "lesson_email", name, _(
                "e-mail “new lesson: %(lesson)s”"
            ) % {"lesson": lesson.title}, is_email=True))  # fmt: skip
    return items


def _notice_mailed(*, member: User, grant: AccessGrant, lesson: Lesson, sweep: datetime) -> bool:
    """The drip sweep's own decision at ``sweep`` (an unsaved notice: pending means mailed)."""
    if not grant_allows_access(grant, now=sweep):
        return False
    row = (member.pk, lesson.pk, grant.starts_at, member.time_zone, member.lesson_notifications,
           lesson.drip_days, lesson.opens_on, grant.paused_since, grant.paused_total)  # fmt: skip
    notices = list(_due_notices([row], now=sweep))
    return bool(notices) and notices[0].status == LessonNotice.Status.PENDING


def _subscription_items(subscription: Subscription, *, now: datetime, end: datetime) -> list:
    due = subscription.current_period_end
    if subscription.status == Subscription.Status.CANCELED or due is None or not now < due <= end:
        return []
    name = subscription.order.product.name
    if subscription.cancel_at_period_end:
        return [PreviewItem(due, "subscription_ends", name,
                            _("cancelled subscription ends: no renewal"))]  # fmt: skip
    return [PreviewItem(due, "renewal_due", name, _("renewal due (%(ref)s)") % {
        "ref": subscription.provider_ref})]  # fmt: skip


def _lapse_items(
    grant: AccessGrant, *, cancelled: bool, now: datetime, end: datetime
) -> list[PreviewItem]:
    if effective_state(grant, now=now) not in LIVE_STATES or grant.paid_through is None:
        return []
    name = grant.product.name
    items = []
    gift = grant.source == AccessGrant.Source.COMPLIMENTARY
    ends_at = access_ends_at(grant)
    if now < grant.paid_through <= end and not gift and not cancelled:
        items.append(PreviewItem(grant.paid_through, "grace", name, _(
            "paid time ends; without a payment the grace period runs until %(end)s"
        ) % {"end": ends_at.isoformat(timespec="minutes")}))  # fmt: skip
    if ends_at <= end and effective_state(grant, now=ends_at + _TICK) not in LIVE_STATES:
        if gift:
            text = _("complimentary access ends")
        elif cancelled:
            text = _("access ends (subscription cancelled)")
        else:
            text = _("access lapses if no payment arrives")
        items.append(PreviewItem(ends_at, "lapse", name, text))
        if not gift and not cancelled:
            sweep = _next_run(ends_at + _TICK, LAPSE_SWEEP, offset=timedelta(minutes=5))
            items.append(
                PreviewItem(
                    sweep, "lapse_email", name, _("e-mail “your access has ended”"), is_email=True
                )
            )
    return items


def _activation_items(grant: AccessGrant, *, now: datetime, end: datetime) -> list[PreviewItem]:
    product = grant.product
    days = product.activation_window_days
    if days is None or grant.first_used_at or grant.activation_missed_at:
        return []
    if effective_state(grant, now=now) not in LIVE_STATES:
        return []
    deadline = grant.starts_at + timedelta(days=days)
    if not now < deadline <= end:
        return []
    if product.activation_window_action == Product.ActivationWindowAction.EXPIRE:
        text = _("activation window closes: access expires unless first used before")
    else:
        text = _("activation window closes: access is marked as never used")
    return [PreviewItem(deadline, "activation", product.name, text)]


def preview_next_days(
    *,
    member: User,
    grants: list[AccessGrant],
    lessons_by_product: dict[int, list[Lesson]],
    noticed_lesson_pks: set[int],
    recorded_open_at: dict[int, datetime],
    subscriptions: list[Subscription],
    days: int,
    now: datetime,
) -> list[PreviewItem]:
    """What happens from ``now`` to ``now + days`` (1 to MAX_DAYS), in time order.

    ``noticed_lesson_pks``: lessons with a drip notice row (never mailed again);
    ``recorded_open_at``: the member's recorded openings (``members.selectors.CourseData``).
    """
    days = max(1, min(int(days), MAX_DAYS))
    end = now + timedelta(days=days)
    # As the lapse sweep decides: a subscription cancelled at period end ran out, no lapse mail.
    cancelled_orders = {
        subscription.order_id for subscription in subscriptions
        if subscription.cancel_at_period_end
    }  # fmt: skip
    items: list[PreviewItem] = []
    for grant in grants:
        if grant.product.is_course:
            items += _lesson_items(
                member=member, grant=grant, now=now, end=end, noticed=noticed_lesson_pks,
                recorded=recorded_open_at, lessons=lessons_by_product.get(grant.product_id, []),
            )  # fmt: skip
        cancelled = grant.order_id in cancelled_orders
        items += _lapse_items(grant, cancelled=cancelled, now=now, end=end)
        items += _activation_items(grant, now=now, end=end)
    for subscription in subscriptions:
        items += _subscription_items(subscription, now=now, end=end)
    items.sort(key=lambda item: (item.at, item.kind))
    return items
