"""Pause: Stripe's ``pause_collection`` stops the grant's clocks (drip, "member for N months");
what was open stays open, nothing new opens, and a resume restarts the clocks where they stopped.
Signed events in both API shapes; out-of-order and repeated deliveries change nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing.models import Subscription
from drip.models import LessonNotice
from drip.services import expire_lapsed_grants, record_opened_lessons
from members.access import compute_lesson_state, grant_allows_access, membership_age
from members.models import AccessGrant, GrantEvent, GrantPause
from tests.factories import RecurringPriceFactory
from tests.members.helpers import make_course
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

T0 = 1_780_000_000  # 2026-05-28 20:26 UTC
DAY = 86400
PERIOD_1 = T0 + 30 * DAY
SHAPES = ["basil", "legacy"]
PAUSE = {"behavior": "mark_uncollectible", "resumes_at": None}


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.fixture
def course():
    """A course sold as a monthly subscription; lesson 2 opens 7 days after the start."""
    course = make_course(days=(0, 7))
    RecurringPriceFactory(
        product=course.product, stripe_price_id="price_course_monthly", amount=1900
    )
    return course


def invoice(shape: str) -> str:
    return build_event(
        "invoice.paid", price_id="price_course_monthly", subscription="sub_p",
        invoice_id="in_p1", email="ada@x.test", period_end=PERIOD_1, created=T0,
        amount=1900, shape=shape,
    )  # fmt: skip


def updated(*, created: int, shape: str, pause: dict | None, period_end: int = PERIOD_1) -> str:
    body = json.loads(
        build_event(
            "customer.subscription.updated",
            subscription="sub_p",
            price_id="price_course_monthly",
            created=created,
            period_end=period_end,
            shape=shape,
        )  # fmt: skip
    )
    body["data"]["object"]["pause_collection"] = pause
    return json.dumps(body)


def deliver_at(deliver, body: str, timestamp: int):
    with time_machine.travel(at(timestamp), tick=False):
        return deliver(body)


def lesson_two(course, now: datetime):
    grant = AccessGrant.objects.select_related("member").get()
    return compute_lesson_state(
        grant=grant, lesson=course.lessons[1], tz=grant.member.zone, now=now
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_pause_and_resume_move_the_drip_clock_by_the_paused_time(deliver, course, shape):
    deliver_at(deliver, invoice(shape), T0)
    nominal = lesson_two(course, at(T0)).opens_at
    deliver_at(deliver, updated(created=T0 + 2 * DAY, shape=shape, pause=PAUSE), T0 + 2 * DAY)

    grant = AccessGrant.objects.get()
    assert grant.paused_since == at(T0 + 2 * DAY)
    assert Subscription.objects.get().paused_since == at(T0 + 2 * DAY)
    # Paused: the first lesson stays open, the second does not open on its day.
    first = compute_lesson_state(
        grant=grant, lesson=course.lessons[0], tz=grant.member.zone, now=at(T0 + 8 * DAY)
    )
    assert first.is_open
    assert lesson_two(course, at(T0 + 8 * DAY)).is_locked
    assert membership_age(grant, now=at(T0 + 8 * DAY)) == timedelta(days=2)

    deliver_at(deliver, updated(created=T0 + 12 * DAY, shape=shape, pause=None), T0 + 12 * DAY)
    grant = AccessGrant.objects.get()
    assert grant.paused_since is None
    assert grant.paused_total == timedelta(days=10)
    moved = lesson_two(course, at(T0 + 12 * DAY)).opens_at
    assert moved == nominal + timedelta(days=10)
    assert lesson_two(course, moved - timedelta(minutes=1)).is_locked
    assert lesson_two(course, moved).is_open
    assert membership_age(grant, now=at(T0 + 20 * DAY)) == timedelta(days=10)

    pause = GrantPause.objects.get()
    assert (pause.started_at, pause.ended_at) == (at(T0 + 2 * DAY), at(T0 + 12 * DAY))
    kinds = list(grant.events.values_list("kind", "reason"))
    paused = (GrantEvent.Kind.PAUSED, "subscription paused at the provider (mark_uncollectible)")
    assert paused in kinds
    resumed = grant.events.get(kind=GrantEvent.Kind.RESUMED)
    assert "paused 10.0 days" in resumed.reason


def test_the_drip_sweep_records_no_opening_while_paused(deliver, course):
    deliver_at(deliver, invoice("basil"), T0)
    deliver_at(deliver, updated(created=T0 + 2 * DAY, shape="basil", pause=PAUSE), T0 + 2 * DAY)
    record_opened_lessons(now=at(T0 + 9 * DAY))
    assert not LessonNotice.objects.filter(lesson=course.lessons[1]).exists()
    deliver_at(deliver, updated(created=T0 + 12 * DAY, shape="basil", pause=None), T0 + 12 * DAY)
    record_opened_lessons(now=at(T0 + 13 * DAY))
    assert not LessonNotice.objects.filter(lesson=course.lessons[1]).exists()
    record_opened_lessons(now=at(T0 + 18 * DAY))
    assert LessonNotice.objects.filter(lesson=course.lessons[1]).exists()


@pytest.mark.parametrize("shape", SHAPES)
def test_repeated_pause_and_resume_change_nothing_twice(deliver, course, shape):
    deliver_at(deliver, invoice(shape), T0)
    pause = updated(created=T0 + 2 * DAY, shape=shape, pause=PAUSE)
    deliver_at(deliver, pause, T0 + 2 * DAY)
    deliver_at(deliver, pause, T0 + 3 * DAY)
    deliver_at(deliver, updated(created=T0 + 4 * DAY, shape=shape, pause=PAUSE), T0 + 4 * DAY)
    resume = updated(created=T0 + 12 * DAY, shape=shape, pause=None)
    deliver_at(deliver, resume, T0 + 12 * DAY)
    deliver_at(deliver, resume, T0 + 13 * DAY)
    deliver_at(deliver, updated(created=T0 + 14 * DAY, shape=shape, pause=None), T0 + 14 * DAY)
    grant = AccessGrant.objects.get()
    assert grant.paused_total == timedelta(days=10)
    assert GrantPause.objects.count() == 1
    assert grant.events.filter(kind=GrantEvent.Kind.PAUSED).count() == 1
    assert grant.events.filter(kind=GrantEvent.Kind.RESUMED).count() == 1


@pytest.mark.parametrize("shape", SHAPES)
def test_a_pause_delivered_after_its_resume_changes_nothing(deliver, course, shape):
    deliver_at(deliver, invoice(shape), T0)
    deliver_at(deliver, updated(created=T0 + 12 * DAY, shape=shape, pause=None), T0 + 12 * DAY)
    deliver_at(deliver, updated(created=T0 + 2 * DAY, shape=shape, pause=PAUSE), T0 + 13 * DAY)
    grant = AccessGrant.objects.get()
    assert grant.paused_since is None
    assert grant.paused_total == timedelta(0)
    assert not GrantPause.objects.exists()


def test_a_paused_membership_does_not_lapse_and_resume_renews_its_period(deliver, course):
    deliver_at(deliver, invoice("basil"), T0)
    deliver_at(deliver, updated(created=T0 + 2 * DAY, shape="basil", pause=PAUSE), T0 + 2 * DAY)
    later = at(PERIOD_1 + 40 * DAY)  # long past paid-through plus grace: the pause bills nothing
    assert grant_allows_access(AccessGrant.objects.get(), now=later)
    assert expire_lapsed_grants(now=later) == []
    resumed_period_end = PERIOD_1 + 60 * DAY
    deliver_at(
        deliver,
        updated(
            created=PERIOD_1 + 40 * DAY, shape="basil", pause=None, period_end=resumed_period_end
        ),
        PERIOD_1 + 40 * DAY,
    )
    grant = AccessGrant.objects.get()
    assert grant.state == AccessGrant.State.ACTIVE
    assert grant.paid_through == at(resumed_period_end)
    assert grant_allows_access(grant, now=later + timedelta(days=1))


def test_explain_names_the_pause_in_its_chain(deliver, course):
    from members.explain import explain_lesson

    deliver_at(deliver, invoice("basil"), T0)
    deliver_at(deliver, updated(created=T0 + 2 * DAY, shape="basil", pause=PAUSE), T0 + 2 * DAY)
    member = AccessGrant.objects.get().member
    paused = explain_lesson(member=member, lesson=course.lessons[1], now=at(T0 + 8 * DAY))
    assert paused.verdict == "locked"
    rule = next(rule for rule in paused.rules if rule.rule == "pause")
    assert rule.value.startswith(f"paused since {at(T0 + 2 * DAY).isoformat()}")
    assert rule.event.kind == GrantEvent.Kind.PAUSED
    assert rule.event.provider_event  # the Stripe event that paused it

    deliver_at(deliver, updated(created=T0 + 12 * DAY, shape="basil", pause=None), T0 + 12 * DAY)
    resumed = explain_lesson(member=member, lesson=course.lessons[1], now=at(T0 + 13 * DAY))
    rule = next(rule for rule in resumed.rules if rule.rule == "pause")
    assert rule.value.startswith("not paused; 10.0 days paused before")
    drip = next(rule for rule in resumed.rules if rule.rule == "drip")
    assert "later by the paused time (10 days, 0:00:00)" in drip.value


def test_the_member_sees_the_subscription_is_paused(client, deliver, course):
    deliver_at(deliver, invoice("basil"), T0)
    deliver_at(deliver, updated(created=T0 + 2 * DAY, shape="basil", pause=PAUSE), T0 + 2 * DAY)
    member = AccessGrant.objects.get().member
    member.language = "en"
    member.save(update_fields=["language"])
    client.force_login(member)
    with time_machine.travel(at(T0 + 3 * DAY), tick=False):
        html = client.get("/members/profile/").content.decode()
    assert "Paused since 30 May 2026: no payments, and nothing new opens" in html
    deliver_at(deliver, updated(created=T0 + 12 * DAY, shape="basil", pause=None), T0 + 12 * DAY)
    with time_machine.travel(at(T0 + 13 * DAY), tick=False):
        client.force_login(member)
        html = client.get("/members/profile/").content.decode()
    assert "Paused since" not in html
    assert "Active. Next payment on" in html
