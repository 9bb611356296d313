"""The "new lesson available" job: once per member and lesson, in the member's zone."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from drip import tasks
from drip.models import LessonNotice
from drip.services import claim_pending_notices, record_opened_lessons
from members.models import AccessGrant
from tests.members.helpers import BOUGHT_AT, grant, make_course, make_member

pytestmark = pytest.mark.django_db


def run_job(at: datetime, capture) -> int:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tasks.send_new_lesson_notices.delay().get()


@pytest.fixture
def course():
    return make_course(days=(0, 3, 6))


def test_moving_the_clock_three_days_opens_lesson_two_and_sends_one_notice(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    member = make_member(time_zone="UTC", name="Ada Lovelace", language="en")
    grant(member, course.product)

    assert run_job(BOUGHT_AT + timedelta(hours=1), django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []  # lesson 1 was open at purchase: the welcome e-mail covers it

    assert run_job(BOUGHT_AT + timedelta(days=3), django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [member.email]
    assert mail.subject == "New lesson open: Lesson 2"
    assert f"http://testserver{course.lessons[1].get_absolute_url()}" in mail.body
    assert "Hello Ada," in mail.body

    assert run_job(BOUGHT_AT + timedelta(days=3, hours=1), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 1
    assert LessonNotice.objects.filter(member=member, lesson=course.lessons[1]).count() == 1


def test_members_in_tokyo_and_los_angeles_are_told_at_their_own_midnight(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    tokyo = make_member(time_zone="Asia/Tokyo")
    los_angeles = make_member(time_zone="America/Los_Angeles")
    grant(tokyo, course.product)
    grant(los_angeles, course.product)

    # 4 Nov 00:00 in Tokyo; still 3 Nov 07:00 (PST, after the DST change) in Los Angeles.
    run_job(datetime(2025, 11, 3, 15, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert [mail.to for mail in mailoutbox] == [[tokyo.email]]

    # 07:00 UTC would be midnight under PDT: the DST change makes it 08:00.
    run_job(datetime(2025, 11, 4, 7, 59, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    run_job(datetime(2025, 11, 4, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert [mail.to for mail in mailoutbox] == [[tokyo.email], [los_angeles.email]]


def test_the_opt_out_is_honoured_but_the_opening_is_recorded(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    member = make_member(time_zone="UTC", lesson_notifications=False)
    grant(member, course.product)

    run_job(BOUGHT_AT + timedelta(days=3), django_capture_on_commit_callbacks)

    assert mailoutbox == []
    notice = LessonNotice.objects.get(member=member, lesson=course.lessons[1])
    assert notice.status == LessonNotice.Status.SKIPPED


@pytest.mark.parametrize(
    "fields",
    [
        {"state": AccessGrant.State.REVOKED},
        {"state": AccessGrant.State.EXPIRED},
        {"state": AccessGrant.State.PENDING},
        # Stored as active, but paid-through plus grace passed: lapsed without a webhook.
        {"paid_through": BOUGHT_AT + timedelta(hours=2)},
    ],
)
def test_no_notice_for_lapsed_or_ended_grants(
    course, mailoutbox, django_capture_on_commit_callbacks, fields
):
    member = make_member(time_zone="UTC")
    grant(member, course.product, **fields)

    run_job(BOUGHT_AT + timedelta(days=7), django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert not LessonNotice.objects.exists()


def test_no_notice_for_an_unpublished_course(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    course.product.is_published = False
    course.product.save()
    grant(make_member(time_zone="UTC"), course.product)

    run_job(BOUGHT_AT + timedelta(days=7), django_capture_on_commit_callbacks)

    assert mailoutbox == []


def test_a_late_worker_sends_each_missed_lesson_once(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    member = make_member(time_zone="UTC")
    grant(member, course.product)

    run_job(BOUGHT_AT + timedelta(days=8), django_capture_on_commit_callbacks)  # days late
    run_job(BOUGHT_AT + timedelta(days=9), django_capture_on_commit_callbacks)

    assert sorted(mail.subject for mail in mailoutbox) == [
        "New lesson open: Lesson 2",
        "New lesson open: Lesson 3",
    ]


def test_lessons_that_opened_long_ago_are_recorded_without_a_burst_of_mail(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    """A member back after months (or a worker down for weeks): old news is not mailed."""
    member = make_member(time_zone="UTC")
    grant(member, course.product)

    run_job(BOUGHT_AT + timedelta(days=30), django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert set(LessonNotice.objects.filter(member=member).values_list("status", flat=True)) == {
        LessonNotice.Status.SKIPPED
    }


def test_recording_and_claiming_twice_changes_nothing(course, django_capture_on_commit_callbacks):
    grant(make_member(time_zone="UTC"), course.product)
    now = BOUGHT_AT + timedelta(days=3)

    record_opened_lessons(now=now)
    record_opened_lessons(now=now)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = claim_pending_notices(now=now)
        second = claim_pending_notices(now=now)

    assert LessonNotice.objects.count() == 2  # lesson 1 (skipped) and lesson 2
    assert len(first) == 1
    assert second == []
    assert len(callbacks) == 1


def test_a_subject_reads_as_written_ampersands_quotes_and_stray_newlines_included(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    lesson = course.lessons[1]
    lesson.title = "Tom & Jerry's\nrecap"
    lesson.save()
    grant(make_member(time_zone="UTC"), course.product)

    run_job(BOUGHT_AT + timedelta(days=3), django_capture_on_commit_callbacks)

    assert [mail.subject for mail in mailoutbox] == ["New lesson open: Tom & Jerry's recap"]
