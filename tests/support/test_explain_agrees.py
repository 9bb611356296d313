"""``explain`` gives the verdict the member pages give, over generated (grant, lesson, clock)
cases across the spring and autumn DST changes in Berlin and New York."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from drip.models import LessonNotice
from members.access import grant_allows_access, grant_for
from members.explain import explain_lesson, explain_product
from members.models import AccessGrant, LessonProgress
from members.selectors import build_course_progress, load_course_data
from tests.factories import GrantFactory, LessonFactory, ModuleFactory, UserFactory
from tests.members.helpers import make_course

pytestmark = pytest.mark.django_db

ZONES = ("Europe/Berlin", "America/New_York")
# Spring: New York changes on 8 March, Berlin on 29 March; autumn: Berlin 25 Oct, New York 1 Nov.
SEASONS = (date(2026, 3, 1), date(2026, 10, 18))
OFFSETS = (0, 1, 2, 3, 5, 6, 7, 8, 10, 14, 21, 28)
FIXED = (date(2026, 3, 8), date(2026, 3, 29), date(2026, 3, 30), date(2026, 10, 25),
         date(2026, 11, 1), date(2026, 11, 2))  # fmt: skip
STATES = ["active"] * 6 + ["grace"] * 2 + ["expired", "revoked", "pending"]
CASES = 1000
THROUGH_THE_PAGES = 40  # of them, through the real lesson page (HTTP)


def _local_moment(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    """A moment near the local midnight starting ``day`` (the edges drip dates open on)."""
    midnight = datetime.combine(day, time.min, tzinfo=zone)
    return (midnight + timedelta(minutes=rng.randint(-150, 150))).astimezone(UTC)


def _clock(rng: random.Random, season: date, zone: ZoneInfo) -> datetime:
    if rng.random() < 0.6:
        return _local_moment(rng, season + timedelta(days=rng.randint(0, 45)), zone)
    start = datetime.combine(season, time.min, tzinfo=UTC)
    return start + timedelta(seconds=rng.randint(0, 45 * 86400))


def _build(rng: random.Random):
    course = make_course(days=OFFSETS)
    module = ModuleFactory(product=course.product, title="Dated", position=2)
    lessons = course.lessons + [
        LessonFactory(module=module, drip_days=None, opens_on=day, position=n)
        for n, day in enumerate(FIXED)
    ]
    lessons.append(LessonFactory(module=module, drip_days=9, is_free_preview=True, position=99))
    grants = []
    for number in range(40):
        zone_name = ZONES[number % 2]
        season = SEASONS[(number // 2) % 2]
        member = UserFactory(time_zone=zone_name)
        starts_at = _local_moment(
            rng, season + timedelta(days=rng.randint(0, 20)), ZoneInfo(zone_name)
        )
        paid_through = (
            None if rng.random() < 0.4 else starts_at + timedelta(days=rng.randint(3, 35))
        )
        state = rng.choice(STATES)
        grants.append((
            GrantFactory(member=member, product=course.product, state=state,
                         starts_at=starts_at, paid_through=paid_through,
                         ended_at=starts_at if state in ("expired", "revoked") else None),
            season,
        ))  # fmt: skip
        for lesson in rng.sample(lessons, 3):  # recorded openings, some before the start
            at = starts_at + timedelta(hours=rng.randint(-400, 400))
            if rng.random() < 0.5:
                LessonProgress.objects.create(member=member, lesson=lesson, first_viewed_at=at,
                                              last_viewed_at=at)  # fmt: skip
            else:
                LessonNotice.objects.create(member=member, lesson=lesson, status="skipped",
                                            opened_at=at, created_at=at)  # fmt: skip
    return course.product, lessons, grants


def _page_verdict(grant: AccessGrant, lesson, now: datetime, loaded: dict) -> str:
    """What the lesson page decides: the selectors its view calls, on the same rows (loaded
    once per member: nothing writes between the cases)."""
    member = grant.member
    product = lesson.module.product
    if member.pk not in loaded:
        loaded[member.pk] = (
            load_course_data(member=member, products=[product]),
            grant_for(member=member, product=product),
        )
    data, page_grant = loaded[member.pk]
    progress = build_course_progress(
        member=member,
        grant=page_grant,
        lessons=data.lessons_by_product[product.pk],
        data=data,
        now=now,
    )
    return progress.row(lesson.pk).state.status


def _http_verdict(client, grant: AccessGrant, lesson, now: datetime) -> str:
    client.force_login(grant.member)
    with time_machine.travel(now, tick=False):
        response = client.get(lesson.get_absolute_url())
    names = {template.name for template in response.templates}
    if response.status_code == 403:
        return "no_access"
    assert response.status_code == 200
    return "locked" if "members/lesson_locked.html" in names else "open"


def test_explain_and_the_member_pages_agree_on_generated_cases(client):
    rng = random.Random(1313)
    product, lessons, grants = _build(rng)
    seen: dict[str, int] = {}
    loaded: dict = {}
    # The page requests come last: a lesson view records an opening, which the selector cases
    # would otherwise read from a stale cache.
    for case in range(CASES + THROUGH_THE_PAGES):
        grant, season = rng.choice(grants)
        lesson = rng.choice(lessons)
        now = _clock(rng, season, grant.member.zone)
        explained = explain_lesson(member=grant.member, lesson=lesson, now=now)
        if case >= CASES:
            page = _http_verdict(client, grant, lesson, now)
        else:
            page = _page_verdict(grant, lesson, now, loaded)
        assert explained.verdict == page, (case, grant.pk, lesson.pk, now)
        if case % 10 == 0:
            product_view = explain_product(member=grant.member, product=product, now=now)
            assert product_view.allowed == grant_allows_access(
                grant_for(member=grant.member, product=product), now=now
            )
        seen[page] = seen.get(page, 0) + 1
    # The generated cases reach every verdict, not just one.
    assert min(seen.get(verdict, 0) for verdict in ("open", "locked", "no_access")) > 100, seen
