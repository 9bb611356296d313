"""Courses included in a tier: a member of the tier opens them as if they had bought them.

No grant row is written for an included course: access is computed from the tier grant, so it
starts, lapses and ends with the membership without any sweep. The course gets a *derived*
grant (unsaved, ``pk`` None) carrying the tier grant's state, dates and source; its drip clock
starts when the membership started. ``included_by`` names the tier grant it comes from.
A tier includes the courses of every lower-ranked tier of its magazine.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Value

from magazine.models import Tier
from members.models import AccessGrant
from membership_site.rows import Precompiled
from products.models import Product

LIVE = (AccessGrant.State.ACTIVE, AccessGrant.State.GRACE)


def derived_grant(*, tier_grant: AccessGrant, course: Product) -> AccessGrant:
    grant = AccessGrant(
        member_id=tier_grant.member_id,
        product=course,
        state=tier_grant.state,
        source=tier_grant.source,
        starts_at=tier_grant.starts_at,
        paid_through=tier_grant.paid_through,
        ended_at=tier_grant.ended_at,
        # Use is stamped on the tier grant's own pages; a derived grant is never written.
        first_used_at=tier_grant.first_used_at or tier_grant.starts_at,
        is_test=tier_grant.is_test,
    )
    grant.included_by = tier_grant
    return grant


def _longest(grants: list[AccessGrant]) -> AccessGrant | None:
    """The grant that lasts longest: lifetime first, then the latest paid-through."""
    if not grants:
        return None
    return max(grants, key=lambda g: (g.paid_through is None, g.paid_through or g.starts_at))


def course_grant_via_tier(*, member, course: Product) -> AccessGrant | None:
    """A derived grant for ``course`` from a live tier grant that includes it (one query)."""
    includes = Tier.objects.filter(
        magazine_id=OuterRef("product__tier__magazine_id"),
        rank__lte=OuterRef("product__tier__rank"),
        included_courses=course,
    )
    grants = AccessGrant.objects.filter(member=member, state__in=LIVE).filter(Exists(includes))
    tier_grant = _longest(list(grants))
    return derived_grant(tier_grant=tier_grant, course=course) if tier_grant else None


def _included_courses_query(*, tiers: int, **values: int) -> QuerySet[Product]:
    """The published courses included in ``tiers`` (magazine, rank) pairs given as ``magazine_N``
    and ``rank_N``; one row per (course, including tier): the annotations read the filtered
    join. A rank is compared as a value expression: a plain int out of the field's range (the
    stand-in ``Precompiled`` compiles with) would drop the condition from the SQL."""
    condition = Q()
    for number in range(tiers):
        rank = Value(values[f"rank_{number}"], output_field=IntegerField())
        condition |= Q(included_in_tiers__magazine_id=values[f"magazine_{number}"]) & Q(
            included_in_tiers__rank__lte=rank
        )
    return (
        Product.objects.filter(condition, is_published=True, kind=Product.Kind.COURSE)
        .select_related("tier")
        .annotate(
            via_magazine=F("included_in_tiers__magazine_id"), via_rank=F("included_in_tiers__rank")
        )
    )


# The statement's shape depends only on the number of live tier grants: compiled once per
# shape (``membership_site.rows``), as building it with Q objects cost a sixth of the member
# dashboard's CPU (issue 20). A member holds one tier grant, rarely a few; more take the ORM.
PRECOMPILED_TIERS = 4
_INCLUDED_COURSES = {
    tiers: Precompiled(
        partial(_included_courses_query, tiers=tiers),
        **{f"{name}_{number}": int for number in range(tiers) for name in ("magazine", "rank")},
    )
    for tiers in range(1, PRECOMPILED_TIERS + 1)
}


def _included_courses(live: list[AccessGrant]) -> list[Product]:
    values = {}
    for number, grant in enumerate(live):
        tier = grant.product.tier
        values[f"magazine_{number}"], values[f"rank_{number}"] = tier.magazine_id, tier.rank
    precompiled = _INCLUDED_COURSES.get(len(live))
    if precompiled is None:
        return list(_included_courses_query(tiers=len(live), **values))
    return precompiled.run(**values)


def included_course_grants(*, tier_grants: list[AccessGrant], now: datetime) -> list[AccessGrant]:
    """Derived grants of the published courses the ``tier_grants`` live at ``now`` include (one
    query; none without a live tier grant). Each grant's product must carry ``tier``."""
    from members.access import grant_allows_access

    live = [grant for grant in tier_grants if grant_allows_access(grant, now=now)]
    if not live:
        return []
    rows = _included_courses(live)
    courses: dict[int, Product] = {}
    holders: dict[int, list[AccessGrant]] = {}
    for course in rows:
        courses.setdefault(course.pk, course)
        holders.setdefault(course.pk, []).extend(
            grant
            for grant in live
            if grant.product.tier.magazine_id == course.via_magazine
            and grant.product.tier.rank >= course.via_rank
        )
    return [
        derived_grant(tier_grant=_longest(grants), course=courses[pk])
        for pk, grants in holders.items()
    ]
