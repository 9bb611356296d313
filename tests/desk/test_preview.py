"""Time-travel preview on the member page: what the next N days bring, computed with the site's
access and drip code on a moved clock, and written nowhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing.models import Order, Subscription
from drip.models import LessonNotice
from drip.services import expire_lapsed_grants, record_opened_lessons
from members.access import effective_state, grace_period, lesson_state
from members.desk import member_page, preview
from members.models import AccessGrant
from outbox.models import OutboxMessage
from tests.desk.helpers import page_url
from tests.factories import (
    CourseFactory,
    GrantFactory,
    LessonFactory,
    ModuleFactory,
    ProductFactory,
    UserFactory,
)
from tests.support.helpers import everything

pytestmark = pytest.mark.django_db

# A Sunday before the spring DST change in Berlin (29 March 2026): local midnights move by an hour.
NOW = datetime(2026, 3, 22, 10, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def course_member():
    ada = UserFactory(email="ada@x.test", time_zone="Europe/Berlin")
    course = CourseFactory(name="Habits")
    module = ModuleFactory(product=course)
    lessons = {
        day: LessonFactory(module=module, title=f"Day {day}", drip_days=day)
        for day in (0, 3, 9, 40)
    }
    grant = GrantFactory(member=ada, product=course, starts_at=NOW - timedelta(days=1))
    return ada, grant, lessons


def _preview(member, days: int = 30):
    return preview(member_page(member=member, now=NOW), days=days)


def test_lessons_open_at_local_midnight_and_the_drip_sweep_mails_them(course_member):
    ada, _grant, lessons = course_member

    items = _preview(ada)

    opening = {item.text: item.at for item in items if item.kind == "lesson_opens"}
    assert opening == {
        "“Day 3” opens": datetime(2026, 3, 23, 23, tzinfo=UTC),  # midnight CET
        "“Day 9” opens": datetime(2026, 3, 29, 22, tzinfo=UTC),  # midnight CEST
    }
    mails = [item for item in items if item.kind == "lesson_email"]
    assert [item.text for item in mails] == [
        "e-mail “new lesson: Day 3”",
        "e-mail “new lesson: Day 9”",
    ]
    for item, lesson in zip(mails, (lessons[3], lessons[9]), strict=True):
        # the member pages agree on the moved clock ...
        assert lesson_state(member=ada, lesson=lesson, now=item.at - SECOND).is_locked
        assert lesson_state(member=ada, lesson=lesson, now=item.at).is_open
        # ... and so does the drip sweep run then: a notice to be mailed
        with time_machine.travel(item.at, tick=False):
            record_opened_lessons(now=item.at)
        notice = LessonNotice.objects.get(lesson=lesson)
        assert notice.status == LessonNotice.Status.PENDING


def test_a_renewal_due_then_grace_then_lapse_with_its_email(settings):
    ada = UserFactory(email="ada@x.test", time_zone="Europe/Berlin")
    product = ProductFactory(name="Inner circle", kind="membership")
    order = Order.objects.create(
        member=ada,
        product=product,
        provider="stripe",
        provider_ref="in_1",
        status="paid",
        amount=900,
        currency="EUR",
    )
    paid_through = NOW + timedelta(days=10)
    Subscription.objects.create(
        member=ada,
        order=order,
        provider="stripe",
        provider_ref="sub_1",
        status="active",
        current_period_end=paid_through,
    )
    grant = GrantFactory(member=ada, product=product, order=order, paid_through=paid_through)

    items = {item.kind: item.at for item in _preview(ada)}

    lapse = paid_through + grace_period()
    assert items == {
        "renewal_due": paid_through,
        "grace": paid_through,
        "lapse": lapse,
        "lapse_email": datetime(2026, 4, 4, 10, 5, tzinfo=UTC),
    }
    assert effective_state(grant, now=lapse) == AccessGrant.State.ACTIVE
    assert effective_state(grant, now=lapse + SECOND) == AccessGrant.State.EXPIRED
    with time_machine.travel(items["lapse_email"], tick=False):
        expire_lapsed_grants(now=items["lapse_email"])
    assert OutboxMessage.objects.get().kind == OutboxMessage.Kind.LAPSE_EMAIL


def test_a_cancelled_subscription_ends_without_a_lapse_email():
    ada = UserFactory(email="ada@x.test")
    product = ProductFactory(name="Inner circle", kind="membership")
    order = Order.objects.create(
        member=ada,
        product=product,
        provider="stripe",
        provider_ref="in_1",
        status="paid",
        amount=900,
        currency="EUR",
    )
    paid_through = NOW + timedelta(days=5)
    Subscription.objects.create(
        member=ada,
        order=order,
        provider="stripe",
        provider_ref="sub_1",
        status="active",
        current_period_end=paid_through,
        cancel_at_period_end=True,
    )
    GrantFactory(member=ada, product=product, order=order, paid_through=paid_through)

    kinds = [item.kind for item in _preview(ada)]

    assert kinds == ["subscription_ends", "lapse"]
    moment = paid_through + grace_period() + timedelta(hours=1)
    expire_lapsed_grants(now=moment)
    assert not OutboxMessage.objects.exists()


def test_the_window_is_chosen_and_bounded(course_member):
    ada, _grant, _lessons = course_member
    assert [item.text for item in _preview(ada, days=2) if item.kind == "lesson_opens"] == [
        "“Day 3” opens"
    ]
    assert "“Day 40” opens" in [item.text for item in _preview(ada, days=366)]


def test_the_page_shows_the_preview_and_writes_nothing(creator_client, course_member):
    ada, _grant, _lessons = course_member
    before = (
        everything(),
        list(LessonNotice.objects.values()),
        list(OutboxMessage.objects.values()),
    )

    with time_machine.travel(NOW, tick=False):
        page = creator_client.get(page_url(ada), {"days": 10}).content.decode()
        too_far = creator_client.get(page_url(ada), {"days": 400})

    assert "The next 10 days" in page
    assert "“Day 9” opens" in page
    assert "2026-03-30 00:00 CEST" in page
    assert "“Day 40” opens" not in page
    assert too_far.status_code == 200
    assert "less than or equal to 366" in too_far.content.decode()
    assert (
        everything(),
        list(LessonNotice.objects.values()),
        list(OutboxMessage.objects.values()),
    ) == before
