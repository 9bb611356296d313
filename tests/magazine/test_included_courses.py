"""A course included in a tier opens for the tier's members as if they had bought it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from members.models import AccessGrant
from tests.magazine.helpers import at, join, make_magazine, make_tier
from tests.members.helpers import grant, make_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_brand_cache")]

JOINED = at(2026, 3, 15, 10)


@pytest.fixture
def setup():
    magazine = make_magazine()
    basic = make_tier(magazine, rank=1, name="Basic")
    premium = make_tier(magazine, rank=2, name="Premium")
    course = make_course(days=(0, 3, 6))
    course.product.is_published = True
    course.product.save()
    premium.included_courses.add(course.product)
    return magazine, basic, premium, course


def get(client, member, url, when):
    client.force_login(member)
    with time_machine.travel(when, tick=False):
        return client.get(url)


def test_a_premium_member_opens_the_included_course_and_its_drip_counts_from_joining(client, setup):
    _magazine, _basic, premium, course = setup
    member = join(premium, on=JOINED).member
    now = JOINED + timedelta(days=4)

    outline = get(client, member, course.product.get_absolute_url(), now)
    first = get(client, member, course.lessons[0].get_absolute_url(), now)
    third = get(client, member, course.lessons[2].get_absolute_url(), now)
    dashboard = get(client, member, "/members/", now).content.decode()

    assert outline.status_code == 200
    assert "Secret body 1" in first.content.decode()
    assert "Secret body 3" not in third.content.decode()  # day 6: still locked on day 4
    assert course.product.name in dashboard
    assert "Included in Premium" in dashboard
    assert not AccessGrant.objects.filter(member=member, product=course.product).exists()


def test_a_basic_member_does_not_open_a_course_included_in_premium(client, setup):
    _magazine, basic, _premium, course = setup
    member = join(basic, on=JOINED).member
    now = JOINED + timedelta(days=1)

    response = get(client, member, course.lessons[0].get_absolute_url(), now)

    assert response.status_code == 403
    assert course.product.name not in get(client, member, "/members/", now).content.decode()


def test_a_higher_tier_includes_the_courses_of_lower_tiers(client, setup):
    _magazine, basic, premium, course = setup
    premium.included_courses.clear()
    basic.included_courses.add(course.product)
    member = join(premium, on=JOINED).member

    response = get(client, member, course.lessons[0].get_absolute_url(), JOINED + timedelta(days=1))

    assert "Secret body 1" in response.content.decode()


def test_the_included_course_closes_when_the_membership_lapses(client, setup):
    _magazine, _basic, premium, course = setup
    paid_through = JOINED + timedelta(days=30)
    member = join(premium, on=JOINED, paid_through=paid_through).member
    lapsed = paid_through + timedelta(days=10)

    response = get(client, member, course.lessons[0].get_absolute_url(), lapsed)

    assert response.status_code == 403
    assert course.product.name not in get(client, member, "/members/", lapsed).content.decode()


def test_a_course_bought_separately_keeps_its_own_grant_and_clock(client, setup):
    _magazine, _basic, premium, course = setup
    member = join(premium, on=JOINED).member
    grant(member, course.product, starts_at=JOINED - timedelta(days=10))
    now = JOINED + timedelta(days=1)

    third = get(client, member, course.lessons[2].get_absolute_url(), now)
    dashboard = get(client, member, "/members/", now).content.decode()

    assert "Secret body 3" in third.content.decode()  # day 6 of the purchase, not of joining
    assert dashboard.count(f'data-product="{course.product.slug}"') == 1
    assert "Included in Premium" not in dashboard
