"""The dashboard's course summary (``members.course_summary``, issue 20) gives the answers of
``build_course_progress``, the path the outline and lesson pages take, and the dashboard's cards
read the same with either: over generated members (zones either side of the DST changes, drip
offsets and fixed dates, free previews, pauses open and closed, restarted drip clocks with older
recorded openings, grace, expired, revoked and withheld grants, courses included in a tier)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from drip.models import LessonNotice
from magazine.models import Magazine, Tier
from members.course_summary import summarise_course
from members.models import LessonProgress
from members.selectors import build_course_progress, dashboard_items, load_course_data
from members.templatetags.member_pages import product_card
from tests.factories import GrantFactory, LessonFactory, ModuleFactory, ProductFactory, UserFactory
from tests.members.helpers import make_course

pytestmark = pytest.mark.django_db

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Pacific/Auckland")
# Spring: New York changes on 8 March, Berlin on 29 March; autumn: Berlin 25 Oct, New York 1 Nov.
SEASONS = (date(2026, 3, 1), date(2026, 10, 18))
OFFSETS = (0, 1, 2, 3, 3, 5, 7, 8, 10, 14, 21, 28)
FIXED = (date(2026, 3, 8), date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 25),
         date(2026, 11, 1), date(2026, 11, 2))  # fmt: skip
STATES = ["active"] * 6 + ["grace"] * 2 + ["expired", "revoked"]
MEMBERS = 48
CLOCKS_PER_MEMBER = 6


def _local_moment(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    """A moment near the local midnight starting ``day`` (the edges drip dates open on)."""
    midnight = datetime.combine(day, time.min, tzinfo=zone)
    return (midnight + timedelta(minutes=rng.randint(-150, 150))).astimezone(UTC)


def _courses():
    """A drip course with fixed dates and free previews, and one a tier includes."""
    dripped = make_course(days=OFFSETS)
    module = ModuleFactory(product=dripped.product, title="Dated", position=2)
    lessons = dripped.lessons + [
        LessonFactory(module=module, drip_days=None, opens_on=day, position=n)
        for n, day in enumerate(FIXED)
    ]
    lessons += [
        LessonFactory(module=module, drip_days=9, is_free_preview=True, position=99),
        LessonFactory(module=module, drip_days=None, position=100),  # no date: opens at once
    ]
    lessons[2].is_free_preview = True
    lessons[2].save()
    included = make_course(days=(0, 2, 4, 30))
    magazine = Magazine.objects.create(name="Circle", slug="circle")
    tiers = [
        Tier.objects.create(
            magazine=magazine, rank=rank, product=ProductFactory(kind="membership", slug=f"t{rank}")
        )
        for rank in (1, 2)
    ]
    tiers[0].included_courses.add(included.product)
    return dripped.product, included.product, lessons + included.lessons, tiers


def _grant(rng: random.Random, member, product, season: date, **fields):
    zone = member.zone
    starts_at = _local_moment(rng, season + timedelta(days=rng.randint(0, 20)), zone)
    state = fields.pop("state", None) or rng.choice(STATES)
    paid_through = None if rng.random() < 0.4 else starts_at + timedelta(days=rng.randint(3, 35))
    if rng.random() < 0.15:
        fields["withheld_until"] = starts_at + timedelta(days=rng.randint(1, 14))
    if rng.random() < 0.25:  # closed pauses
        fields["paused_total"] = timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 23))
    if rng.random() < 0.25:  # paused now, or from a moment still to come
        fields["paused_since"] = starts_at + timedelta(days=rng.randint(-2, 25))
    return GrantFactory(
        member=member, product=product, state=state, starts_at=starts_at,
        paid_through=paid_through, ended_at=starts_at if state in ("expired", "revoked") else None,
        **fields,
    )  # fmt: skip


def _record(rng: random.Random, member, lessons, around: datetime) -> None:
    """Views (some completed) and drip notices, some before the drip start (a restarted clock
    forgets those)."""
    for lesson in rng.sample(lessons, rng.randint(0, 8)):
        at = around + timedelta(hours=rng.randint(-500, 500))
        if rng.random() < 0.6:
            completed = at if rng.random() < 0.6 else None
            LessonProgress.objects.create(member=member, lesson=lesson, first_viewed_at=at,
                                          last_viewed_at=at, completed_at=completed)  # fmt: skip
        else:
            LessonNotice.objects.create(member=member, lesson=lesson, status="sent",
                                        opened_at=at, created_at=at)  # fmt: skip


def _members(rng: random.Random):
    dripped, included, lessons, tiers = _courses()
    members = []
    for number in range(MEMBERS):
        member = UserFactory(time_zone=ZONES[number % len(ZONES)])
        season = SEASONS[(number // len(ZONES)) % 2]
        kind = number % 4  # own course; tier; both; own grant of the included course too
        if kind != 1:
            grant = _grant(rng, member, dripped, season)
        if kind != 0:
            grant = _grant(rng, member, rng.choice(tiers).product, season)
        if kind == 3:  # ended, mostly: the card shows the course, no longer open to them
            _grant(rng, member, included, season, state=rng.choice(["expired", "revoked", None]))
        _record(rng, member, lessons, grant.starts_at)
        members.append((member, season))
    return members


def _progress(member, item, now: datetime):
    """What the card showed before the summary: ``build_course_progress`` over the course."""
    data = load_course_data(member=member, products=[item.product])
    lessons = data.lessons_by_product.get(item.product.pk, [])
    return build_course_progress(member=member, grant=item.grant, lessons=lessons, data=data,
                                 now=now)  # fmt: skip


def test_the_summary_and_the_card_agree_with_the_full_course_progress():
    rng = random.Random(2020)
    seen: dict[str, int] = {}
    for number, (member, season) in enumerate(_members(rng)):
        language = ("en", "de", "nl")[number % 3]
        for _ in range(CLOCKS_PER_MEMBER):
            day = season + timedelta(days=rng.randint(0, 60))
            now = _local_moment(rng, day, member.zone)
            items = dashboard_items(member=member, now=now)
            for item in items:
                if item.course is None:
                    continue
                full = _progress(member, item, now)
                summary = item.course
                assert (summary.done, summary.total, summary.percent) == (
                    full.done, full.total, full.percent,
                ), (member.pk, now)  # fmt: skip
                assert summary.continue_row == full.continue_row, (member.pk, now)
                assert summary.next_opening == full.next_opening, (member.pk, now)
                with translation.override(language), timezone.override(member.zone):
                    assert product_card(item) == product_card(replace(item, course=full))
                for row in full.rows:
                    seen[row.state.status] = seen.get(row.state.status, 0) + 1
                seen["continue"] = seen.get("continue", 0) + bool(full.continue_row)
                seen["next"] = seen.get("next", 0) + bool(full.next_opening)
                seen["included"] = seen.get("included", 0) + bool(item.included_by)
                seen["paused"] = seen.get("paused", 0) + bool(item.grant.paused_since)
    # The generated cases reach every answer, not just one.
    wanted = ("open", "locked", "no_access", "continue", "next", "included", "paused")
    assert min(seen.get(answer, 0) for answer in wanted) > 20, sorted(seen.items())


def test_a_summary_without_a_grant_opens_only_the_free_previews():
    product, _included, lessons, _tiers = _courses()
    member = UserFactory()
    data = load_course_data(member=member, products=[product])
    outline = data.lessons_by_product[product.pk]
    now = datetime(2026, 3, 2, tzinfo=UTC)
    summary = summarise_course(grant=None, lessons=outline, data=data, tz=member.zone, now=now)
    full = build_course_progress(member=member, grant=None, lessons=outline, data=data, now=now)
    assert summary.continue_row == full.continue_row
    assert summary.continue_row.state.is_preview
    assert (summary.done, summary.total, summary.next_opening) == (0, len(outline), None)


def _next_opening(member, now):
    (item,) = dashboard_items(member=member, now=now)
    return item.course.next_opening.state.opens_at


def test_kept_openings_follow_a_changed_drip_clock_a_pause_and_a_zone():
    """Openings are kept between requests by drip clock (``members.access.Openings``): a
    restarted clock, a closed pause or another zone is another clock, shown at once."""
    course = make_course(days=(0, 3))
    member = UserFactory(time_zone="Europe/Berlin")
    grant = GrantFactory(member=member, product=course.product, state="active",
                         starts_at=datetime(2026, 3, 2, 12, tzinfo=UTC))  # fmt: skip
    now = datetime(2026, 3, 3, 12, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    assert _next_opening(member, now) == datetime(2026, 3, 5, tzinfo=berlin)

    grant.starts_at = datetime(2026, 3, 3, 9, tzinfo=UTC)  # the clock restarted
    grant.save()
    assert _next_opening(member, now) == datetime(2026, 3, 6, tzinfo=berlin)

    # A closed pause of two days moves every opening on: the first lesson is locked again.
    grant.paused_total = timedelta(days=2)
    grant.save()
    assert _next_opening(member, now) == datetime(2026, 3, 5, tzinfo=berlin)

    member.time_zone = "Asia/Tokyo"
    member.save()
    tokyo = ZoneInfo("Asia/Tokyo")
    assert _next_opening(member, now) == datetime(2026, 3, 5, tzinfo=tokyo)


def test_past_the_kept_clocks_openings_are_still_right(monkeypatch):
    from members import access
    from membership_site.remembered import Remembered

    monkeypatch.setattr(access, "_openings_by_clock", Remembered(max_entries=3))
    course = make_course(days=(0, 3))
    for day in range(1, 7):
        member = UserFactory(time_zone="Europe/Berlin")
        GrantFactory(member=member, product=course.product, state="active",
                     starts_at=datetime(2026, 3, day, 12, tzinfo=UTC))  # fmt: skip
        expected = datetime(2026, 3, day + 3, tzinfo=ZoneInfo("Europe/Berlin"))
        assert _next_opening(member, datetime(2026, 3, day + 1, tzinfo=UTC)) == expected
        assert _next_opening(member, datetime(2026, 3, day + 1, tzinfo=UTC)) == expected
    assert len(access._openings_by_clock._found) == 3


@pytest.mark.parametrize(
    ("zone", "starts_at", "paused", "drip_days", "fixed_day"),
    [
        # Nuuk springs from 23:00 to 00:00 on 28 March 2026: the drip lesson's opening
        # (midnight plus a pause of 23h30) is a local time in that gap, after the fixed date's.
        ("America/Nuuk", datetime(2026, 3, 20, 12, tzinfo=UTC), timedelta(hours=23, minutes=30),
         8, date(2026, 3, 29)),
        # Santiago springs from 00:00 to 01:00 on 6 September 2026: the two openings are one
        # instant, read differently in local time.
        ("America/Santiago", datetime(2026, 9, 1, 12, tzinfo=UTC), timedelta(hours=1),
         5, date(2026, 9, 6)),
    ],
)  # fmt: skip
def test_the_next_opening_is_the_earliest_instant_across_a_dst_change(
    zone, starts_at, paused, drip_days, fixed_day
):
    course = make_course(days=(drip_days,))
    fixed = LessonFactory(module=course.lessons[0].module, drip_days=None, opens_on=fixed_day,
                          position=2)  # fmt: skip
    member = UserFactory(time_zone=zone)
    GrantFactory(member=member, product=course.product, state="active", starts_at=starts_at,
                 paused_total=paused)  # fmt: skip
    now = datetime.combine(fixed_day - timedelta(days=1), time(12), tzinfo=UTC)

    (item,) = dashboard_items(member=member, now=now)
    full = _progress(member, item, now)

    assert item.course.next_opening == full.next_opening
    openings = {row.lesson.pk: row.state.opens_at.astimezone(UTC) for row in full.rows}
    earliest = min(openings.values())
    assert openings[full.next_opening.lesson.pk] == earliest
    if len(set(openings.values())) == 2:  # Nuuk: the fixed date opens first
        assert full.next_opening.lesson.pk == fixed.pk
    else:  # Santiago: one instant; the first in course order
        assert full.next_opening.lesson.pk == course.lessons[0].pk


def test_a_clock_keeps_one_order_per_course_and_follows_an_edited_outline():
    from members.access import Openings
    from products.models import Product
    from products.outline import course_outline

    course = make_course(days=(0, 5, 2))
    member = UserFactory(time_zone="Europe/Berlin")
    grant = GrantFactory(member=member, product=course.product, state="active",
                         starts_at=datetime(2026, 3, 2, 12, tzinfo=UTC))  # fmt: skip
    openings = Openings(grant, member.zone)
    before = course_outline(Product.objects.get(pk=course.product.pk))
    moments, entries = openings.by_time(before)
    assert [before.lessons[index].pk for _utc, index, _local in entries] == [
        course.lessons[0].pk, course.lessons[2].pk, course.lessons[1].pk]  # fmt: skip
    assert moments == sorted(moments)

    LessonFactory(module=course.lessons[0].module, drip_days=1, position=9)
    after = course_outline(Product.objects.get(pk=course.product.pk))
    assert after is not before
    moments, entries = Openings(grant, member.zone).by_time(after)
    assert len(entries) == len(after.lessons) == 4
    kept = [key for key in openings._known if isinstance(key, tuple) and key[0] == "by time"]
    assert kept == [("by time", course.product.pk)]
