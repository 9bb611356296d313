"""A member of several tiers opens exactly the courses those tiers include, whether the query
ran precompiled (up to ``PRECOMPILED_TIERS`` live tier grants, issue 20) or through the ORM."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from magazine.access import PRECOMPILED_TIERS, included_course_grants
from magazine.models import Magazine, Tier
from members.models import AccessGrant
from tests.factories import CourseFactory, GrantFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def _magazine(number: int) -> list[Tier]:
    """Three tiers of rank 1..3, each including a course of its own, plus an unpublished one."""
    magazine = Magazine.objects.create(name=f"Magazine {number}", slug=f"magazine-{number}")
    tiers = []
    for rank in (1, 2, 3):
        product = ProductFactory(kind="membership", slug=f"m{number}-tier-{rank}")
        tier = Tier.objects.create(magazine=magazine, product=product, rank=rank)
        tier.included_courses.add(CourseFactory(slug=f"m{number}-course-{rank}"))
        tier.included_courses.add(
            CourseFactory(slug=f"m{number}-hidden-{rank}", is_published=False)
        )
        tiers.append(tier)
    return tiers


@pytest.mark.parametrize("held", range(1, PRECOMPILED_TIERS + 2))
def test_each_live_tier_grant_opens_the_courses_of_its_rank_and_below(held):
    now = timezone.now()
    member = UserFactory()
    magazines = [_magazine(number) for number in range(PRECOMPILED_TIERS + 1)]
    grants = []
    for number in range(held):  # one tier per magazine, of rank 1, 2, 3, 1, 2...
        tier = magazines[number][number % 3]
        grants.append(GrantFactory(member=member, product=tier.product, starts_at=now))
    ended = magazines[-1][2]  # an ended grant of the top tier of a magazine opens nothing more
    grants.append(GrantFactory(member=member, product=ended.product, state="expired",
                               starts_at=now - timedelta(days=60)))  # fmt: skip
    for grant in grants:
        grant.product = type(grant.product).objects.select_related("tier").get(pk=grant.product_id)

    included = included_course_grants(tier_grants=grants, now=now)

    expected = {
        f"m{number}-course-{rank}" for number in range(held) for rank in range(1, number % 3 + 2)
    }
    assert {grant.product.slug for grant in included} == expected
    for grant in included:
        assert grant.pk is None
        assert grant.included_by.state == AccessGrant.State.ACTIVE
        holder = grant.included_by.product.tier
        assert grant.product.slug.startswith(f"m{holder.magazine.slug.split('-')[1]}-")
