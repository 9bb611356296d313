"""``manage.py explain``: the rules behind a verdict, each with the audit row that set it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError

from drip.services import apply_activation_windows
from members.models import LessonProgress
from members.support import give_access_anyway
from tests.factories import GrantFactory, UserFactory
from tests.members.helpers import make_course
from tests.support.helpers import run, run_text

pytestmark = pytest.mark.django_db

BOUGHT = datetime(2026, 3, 27, 22, 30, tzinfo=UTC)  # 23:30 in Berlin, the Friday before DST


@pytest.fixture
def setup(creator):
    course = make_course(days=(0, 2, 6), slug="habits")
    course.product.activation_window_days = 14
    course.product.activation_window_action = "expire"
    course.product.save()
    ada = UserFactory(email="ada@x.test", time_zone="Europe/Berlin")
    grant = GrantFactory(member=ada, product=course.product, starts_at=BOUGHT,
                         paid_through=BOUGHT + timedelta(days=30))  # fmt: skip
    return course, grant, creator


def test_a_lesson_locked_until_local_midnight_after_the_dst_change(setup):
    course, _grant, _creator = setup
    lesson = course.lessons[1]  # two days after the local start day (Friday 27 March)

    result = run("explain", "ada@x.test", "--lesson", str(lesson.pk), at=BOUGHT + timedelta(1))

    rules = {rule["rule"]: rule for rule in result["rules"]}
    assert result["verdict"] == "locked"
    assert result["allowed"] is False
    assert rules["drip"]["value"] == "2 days after the local start day 2026-03-27 in Europe/Berlin"
    # Sunday 29 March starts at 00:00 CET = 23:00 UTC on the 28th (clocks go forward at 02:00).
    assert rules["opens at"]["value"] == (
        "2026-03-29T00:00+01:00 (Europe/Berlin) = 2026-03-28T23:00:00+00:00"
    )
    assert rules["recorded earlier opening"]["value"] == "none"
    assert rules["free preview"]["value"] == "no"


def test_a_recorded_earlier_opening_keeps_a_lesson_open(setup):
    course, _grant, _creator = setup
    lesson = course.lessons[2]
    at = BOUGHT + timedelta(days=2)
    LessonProgress.objects.create(member=_grant.member, lesson=lesson, first_viewed_at=at,
                                  last_viewed_at=at)  # fmt: skip

    result = run("explain", "ada@x.test", "--lesson", str(lesson.pk), at=at)

    rules = {rule["rule"]: rule["value"] for rule in result["rules"]}
    assert result["verdict"] == "open"
    assert rules["recorded earlier opening"] == "2026-03-29T22:30:00+00:00 (counts)"


def test_the_activation_window_and_support_giving_access_anyway_are_both_named(setup):
    course, grant, creator = setup
    missed = BOUGHT + timedelta(days=15)
    apply_activation_windows(now=missed)
    closed = run("explain", "ada@x.test", "habits", at=missed)
    give_access_anyway(grant_pk=grant.pk, actor=creator, reason="never got the e-mail",
                       now=missed)  # fmt: skip

    text = run_text("explain", "ada@x.test", "habits", at=missed)

    assert closed["verdict"] == "no access"
    window = next(rule for rule in closed["rules"] if rule["rule"] == "activation window")
    assert window["value"].startswith("14 days, until 2026-04-10T22:30:00+00:00: missed")
    assert window["event"]["kind"] == "activation_missed"
    assert "  grant: stored state active, source stripe, since 2026-03-27T22:30:00+00:00  ← " \
        "reactivated 2026-04-11T22:30:00+00:00 (never got the e-mail), by creator@example.test" \
        in text  # fmt: skip
    assert "  paid through: 2026-04-26T22:30:00+00:00" in text
    assert text.rstrip().endswith("verdict: access")


def test_a_member_without_the_product_and_a_free_preview(setup):
    course, _grant, _creator = setup
    UserFactory(email="bob@x.test")
    preview = course.lessons[2]
    preview.is_free_preview = True
    preview.save()

    assert run("explain", "bob@x.test", "habits")["verdict"] == "no access"
    assert run("explain", "bob@x.test", "--lesson", str(preview.pk))["verdict"] == "open"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@x.test", "habits"], "no member with e-mail nobody@x.test"),
        (["ada@x.test", "nope"], "no product with slug nope"),
        (["ada@x.test", "--lesson", "999999"], "no lesson with id 999999"),
        (["ada@x.test"], "give a product slug or --lesson ID"),
    ],
)
def test_explain_refuses_bad_input(setup, args, message):
    with pytest.raises(CommandError, match=message):
        run("explain", *args)
