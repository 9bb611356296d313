"""The access service: open, locked until a moment, or no access, computed from data."""

from datetime import UTC, date, datetime, timedelta

import pytest

from billing.models import Order
from drip.models import LessonNotice
from members.access import (
    LOCKED,
    NO_ACCESS,
    OPEN,
    drip_start_on_repurchase,
    lesson_state,
    product_allows_access,
)
from members.models import AccessGrant
from tests.factories import LessonProgressFactory
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db

LA = "America/Los_Angeles"
TOKYO = "Asia/Tokyo"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_lesson_one_is_open_at_purchase_and_lesson_two_is_locked_until_local_midnight():
    course = make_course()
    member = make_member(time_zone="Europe/Berlin")
    grant(member, course.product)

    first = lesson_state(member=member, lesson=course.lessons[0], now=BOUGHT_AT)
    second = lesson_state(member=member, lesson=course.lessons[1], now=BOUGHT_AT)

    assert first.status == OPEN
    assert second.status == LOCKED
    # 1 Nov (Berlin) + 3 days = 4 Nov 00:00 CET = 3 Nov 23:00 UTC
    assert second.opens_at == utc(2025, 11, 3, 23, 0)


@pytest.mark.parametrize(
    ("zone", "opens_at_utc"),
    [
        # Tokyo has no DST: bought 1 Nov 21:00 JST, opens 4 Nov 00:00 JST.
        (TOKYO, utc(2025, 11, 3, 15, 0)),
        # LA bought 1 Nov 05:00 PDT; DST ends 2 Nov, so 4 Nov 00:00 is PST (UTC-8), not UTC-7.
        (LA, utc(2025, 11, 4, 8, 0)),
    ],
)
def test_members_bought_at_the_same_instant_see_lesson_two_open_at_their_own_midnight(
    zone, opens_at_utc
):
    course = make_course()
    member = make_member(time_zone=zone)
    grant(member, course.product)
    lesson = course.lessons[1]

    before = lesson_state(member=member, lesson=lesson, now=opens_at_utc - timedelta(seconds=1))
    at = lesson_state(member=member, lesson=lesson, now=opens_at_utc)

    assert (before.status, before.opens_at) == (LOCKED, opens_at_utc)
    assert at.status == OPEN


def test_across_the_spring_dst_change_los_angeles_midnight_is_utc_minus_seven():
    course = make_course()
    member = make_member(time_zone=LA)
    # 6 Mar 2026 12:00 PST; DST starts 8 Mar; lesson 2 opens 9 Mar 00:00 PDT = 07:00 UTC.
    grant(member, course.product, starts_at=utc(2026, 3, 6, 20, 0))

    assert (
        lesson_state(member=member, lesson=course.lessons[1], now=utc(2026, 3, 9, 6, 59)).status
        == LOCKED
    )
    assert (
        lesson_state(member=member, lesson=course.lessons[1], now=utc(2026, 3, 9, 7, 0)).status
        == OPEN
    )


def test_a_fixed_date_lesson_opens_at_midnight_of_that_date_in_the_members_zone():
    course = make_course(days=(0,))
    lesson = course.lessons[0]
    lesson.drip_days = None
    lesson.opens_on = date(2025, 12, 24)
    lesson.save()
    member = make_member(time_zone=TOKYO)
    grant(member, course.product)

    state = lesson_state(member=member, lesson=lesson, now=utc(2025, 12, 23, 14, 59))

    assert (state.status, state.opens_at) == (LOCKED, utc(2025, 12, 23, 15, 0))
    assert lesson_state(member=member, lesson=lesson, now=utc(2025, 12, 23, 15, 0)).is_open


def test_no_grant_means_no_access_but_a_free_preview_is_open_to_any_member():
    course = make_course()
    preview = course.lessons[2]
    preview.is_free_preview = True
    preview.save()
    stranger = make_member()

    assert (
        lesson_state(member=stranger, lesson=course.lessons[0], now=BOUGHT_AT).status == NO_ACCESS
    )
    assert lesson_state(member=stranger, lesson=preview, now=BOUGHT_AT).status == OPEN


@pytest.mark.parametrize("stored_state", [AccessGrant.State.ACTIVE, AccessGrant.State.GRACE])
def test_a_lapsed_member_loses_access_at_paid_through_plus_grace_without_any_webhook(
    settings, stored_state
):
    settings.MEMBERSHIP_GRACE_DAYS = 3
    course = make_course()
    member = make_member()
    paid_through = utc(2025, 12, 1, 12, 0)
    grant(member, course.product, state=stored_state, paid_through=paid_through)
    end = paid_through + timedelta(days=3)

    assert lesson_state(member=member, lesson=course.lessons[0], now=end).status == OPEN
    assert product_allows_access(member=member, product=course.product, now=end)
    later = end + timedelta(microseconds=1)
    assert lesson_state(member=member, lesson=course.lessons[0], now=later).status == NO_ACCESS
    assert not product_allows_access(member=member, product=course.product, now=later)


@pytest.mark.parametrize(
    "stored_state",
    [AccessGrant.State.REVOKED, AccessGrant.State.EXPIRED, AccessGrant.State.PENDING],
)
def test_ended_or_pending_grants_give_no_access(stored_state):
    course = make_course()
    member = make_member()
    grant(member, course.product, state=stored_state)

    state = lesson_state(member=member, lesson=course.lessons[0], now=BOUGHT_AT + timedelta(days=1))

    assert state.status == NO_ACCESS


def test_a_lesson_seen_open_stays_open_when_the_creator_moves_its_offset_later():
    course = make_course()
    member = make_member(time_zone="UTC")
    grant(member, course.product)
    lesson = course.lessons[1]
    day_four = BOUGHT_AT + timedelta(days=4)
    LessonProgressFactory(member=member, lesson=lesson, first_viewed_at=day_four)
    other = make_member(time_zone="UTC")
    grant(other, course.product)

    lesson.drip_days = 10
    lesson.save()

    assert lesson_state(member=member, lesson=lesson, now=day_four).status == OPEN
    # A member for whom it never opened follows the new schedule.
    assert lesson_state(member=other, lesson=lesson, now=day_four).status == LOCKED


def test_a_lesson_the_drip_job_recorded_as_opened_stays_open_after_an_offset_change():
    course = make_course()
    member = make_member(time_zone="UTC")
    grant(member, course.product)
    lesson = course.lessons[1]
    day_four = BOUGHT_AT + timedelta(days=4)
    LessonNotice.objects.create(
        member=member, lesson=lesson, status="sent", opened_at=day_four, created_at=day_four
    )
    lesson.drip_days = 10
    lesson.save()

    assert lesson_state(member=member, lesson=lesson, now=day_four).status == OPEN


def test_a_recorded_opening_never_outlives_access():
    course = make_course()
    member = make_member(time_zone="UTC")
    grant(member, course.product, state=AccessGrant.State.REVOKED)
    LessonProgressFactory(member=member, lesson=course.lessons[1], first_viewed_at=BOUGHT_AT)

    state = lesson_state(member=member, lesson=course.lessons[1], now=BOUGHT_AT + timedelta(days=9))

    assert state.status == NO_ACCESS


def test_repurchase_continues_from_the_original_start_unless_the_product_restarts_it():
    course = make_course()
    member = make_member()
    first, again = (
        Order.objects.create(
            member=member, product=course.product, provider="stripe", provider_ref=ref,
            status=Order.Status.PAID, amount=4900, currency="EUR",
        )
        for ref in ("cs_first", "cs_again")
    )  # fmt: skip
    ended = grant(member, course.product, state=AccessGrant.State.EXPIRED, order=first)
    now = BOUGHT_AT + timedelta(days=40)

    def start(order):
        return drip_start_on_repurchase(grant=ended, product=course.product, order=order, now=now)

    assert start(again) == BOUGHT_AT
    course.product.restart_drip_on_repurchase = True
    assert start(again) == now
    assert start(first) == BOUGHT_AT  # the same order paid late: a renewal, not a new purchase
    assert start(None) == BOUGHT_AT  # support giving access back is no purchase
    ended.state = AccessGrant.State.ACTIVE
    assert start(again) == BOUGHT_AT


def test_after_a_drip_restart_old_openings_no_longer_open_lessons():
    course = make_course()
    member = make_member(time_zone="UTC")
    restarted = BOUGHT_AT + timedelta(days=40)
    grant(member, course.product, starts_at=restarted)
    LessonProgressFactory(
        member=member, lesson=course.lessons[1], first_viewed_at=BOUGHT_AT + timedelta(days=4)
    )

    state = lesson_state(member=member, lesson=course.lessons[1], now=restarted + timedelta(days=1))

    assert (state.status, state.opens_at) == (LOCKED, utc(2025, 12, 14, 0, 0))
