"""SQL written or compiled once (``membership_site.rows``, issue 20) gives the instances the
ORM gives: same rows for each caller, same values (dates, booleans), related objects loaded."""

from __future__ import annotations

import pytest

from billing.selectors import with_subscription_of_order
from members.access import grant_for
from members.models import AccessGrant
from membership_site.rows import Precompiled
from tests.factories import CourseFactory, GrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def grants_with_products(*, member_pk: int):
    grants = AccessGrant.objects.filter(member_id=member_pk).order_by("pk")
    return with_subscription_of_order(grants).select_related("product__tier__magazine")


def test_a_precompiled_query_answers_each_member_with_their_own_rows(
    django_assert_num_queries,
):
    ada, bob = UserFactory(), UserFactory()
    for member, count in ((ada, 2), (bob, 1)):
        for _ in range(count):
            GrantFactory(member=member, product=CourseFactory(), paid_through=None)
    precompiled = Precompiled(grants_with_products, member_pk=int)

    for member in (ada, bob, ada):
        expected = list(grants_with_products(member_pk=member.pk))
        with django_assert_num_queries(1):
            found = precompiled.run(member_pk=member.pk)
            names = [grant.product.name for grant in found]  # loaded with the grants
            tiers = [hasattr(grant.product, "tier") for grant in found]
        assert [fields(grant) for grant in found] == [fields(grant) for grant in expected]
        assert names == [grant.product.name for grant in expected]
        assert tiers == [False] * len(expected)
        assert [grant.subscription_status for grant in found] == [None] * len(expected)


def test_the_grant_read_by_hand_written_sql_is_the_orms():
    grant = GrantFactory(product=CourseFactory())
    expected = AccessGrant.objects.get(pk=grant.pk)

    found = grant_for(member=grant.member, product=grant.product)

    assert fields(found) == fields(expected)
    assert found.starts_at.tzinfo is not None
    assert found._state.adding is False


def test_a_query_whose_id_does_not_reach_the_sql_is_refused():
    precompiled = Precompiled(lambda *, member_pk: AccessGrant.objects.all(), member_pk=int)

    with pytest.raises(ValueError, match="stand-in"):
        precompiled.run(member_pk=1)


def test_a_precompiled_query_by_slug_finds_that_product_or_none():
    from django.http import Http404

    from members.selectors import published_product_or_404

    first, second = CourseFactory(slug="first-course"), CourseFactory(slug="second-course")
    CourseFactory(slug="hidden-course", is_published=False)

    assert published_product_or_404(slug="second-course") == second
    assert published_product_or_404(slug="first-course") == first
    assert not hasattr(published_product_or_404(slug="first-course"), "tier")
    for slug in ("hidden-course", "no-such-course"):
        with pytest.raises(Http404):
            published_product_or_404(slug=slug)
