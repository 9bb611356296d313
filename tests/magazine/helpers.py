"""Builders for the magazine tests: a magazine with tiers, posts on given dates, members."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from magazine.models import Magazine, Post, Tier
from members.models import AccessGrant, User
from tests.factories import GrantFactory, ProductFactory
from tests.members.helpers import make_member

BERLIN = ZoneInfo("Europe/Berlin")  # the test settings' site time zone


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in the site's time zone (Berlin)."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def make_magazine(slug: str = "inner-circle") -> Magazine:
    return Magazine.objects.create(name="Inner circle", slug=slug)


def make_tier(
    magazine: Magazine,
    *,
    rank: int,
    name: str,
    visibility: str = Tier.Visibility.MAGAZINE,
    months: int | None = None,
) -> Tier:
    product = ProductFactory(kind="membership", name=name, is_published=True)
    return Tier.objects.create(
        magazine=magazine,
        product=product,
        rank=rank,
        visibility=visibility,
        back_catalogue_after_months=months,
    )


def make_post(magazine: Magazine, *tiers: Tier, title: str, publish_at: datetime, **fields) -> Post:
    from django.utils.text import slugify

    post = Post.objects.create(
        magazine=magazine,
        title=title,
        slug=fields.pop("slug", slugify(title)),
        body=fields.pop("body", f"<p>Body of {title}</p>"),
        publish_at=publish_at,
        **fields,
    )
    post.tiers.set(tiers)
    return post


def join(tier: Tier, *, on: datetime, member: User | None = None, **fields) -> AccessGrant:
    """A member whose membership of ``tier`` started ``on`` (a live grant unless told)."""
    member = member or make_member()
    return GrantFactory(member=member, product=tier.product, starts_at=on, **fields)
