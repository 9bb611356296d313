"""Two workers running the same job at once change each row once (PostgreSQL only)."""

from datetime import timedelta

import pytest

from drip.models import LessonNotice
from drip.services import claim_pending_notices, expire_lapsed_grants, record_opened_lessons
from members.models import GrantEvent
from tests.drip.helpers import run_concurrently
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

NOW = BOUGHT_AT + timedelta(days=40)


@pytest.mark.django_db(transaction=True)
def test_parallel_lapse_sweeps_expire_each_grant_once(postgres_only, settings):
    settings.MEMBERSHIP_GRACE_DAYS = 3
    for _ in range(20):
        grant(make_member(), ProductFactory(), paid_through=BOUGHT_AT)

    def sweep() -> int:
        total = 0
        while pks := expire_lapsed_grants(now=NOW, limit=3):
            total += len(pks)
        return total

    results, errors = run_concurrently(sweep, times=4)

    assert errors == []
    assert sum(results) == 20
    assert GrantEvent.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_parallel_notice_jobs_claim_each_notice_once(postgres_only):
    course = make_course(days=(0, 3, 6))
    for _ in range(10):
        grant(make_member(time_zone="UTC"), course.product)

    week_later = BOUGHT_AT + timedelta(days=7)  # lessons 2 and 3 opened within the week

    def job() -> int:
        record_opened_lessons(now=week_later)
        claimed = 0
        while pks := claim_pending_notices(now=week_later, limit=2):
            claimed += len(pks)
        return claimed

    results, errors = run_concurrently(job, times=4)

    assert errors == []
    assert sum(results) == 20  # lessons 2 and 3 for 10 members
    assert LessonNotice.objects.filter(status=LessonNotice.Status.SENT).count() == 20
    assert LessonNotice.objects.count() == 30
