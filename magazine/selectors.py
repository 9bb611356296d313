"""Read-only queries of the member's magazine pages; a fixed number whatever the post count.

The issues page runs three queries (the magazine, the member's tier grants, every post of the
magazine without its body, with the lowest rank of its tiers); the states are computed here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Min
from django.http import Http404

from magazine.models import Magazine, Post, PostFile, Tier
from magazine.visibility import Membership, PostState, post_state, site_zone
from members.access import grant_allows_access
from members.models import AccessGrant


@dataclass(frozen=True)
class PostRow:
    post: Post
    state: PostState


@dataclass
class Issue:
    month: date  # the first day of the month, in the site's time zone
    rows: list[PostRow] = field(default_factory=list)


@dataclass(frozen=True)
class IssuesPage:
    magazine: Magazine
    memberships: list[Membership]
    year: int | None
    years: list[int]  # newest first: the years that hold a post listed for this member
    issues: list[Issue]  # of ``year``, newest month first
    upcoming: list[PostRow]  # announced, not published yet: soonest first, on the newest year

    @property
    def best(self) -> Membership | None:
        return max(self.memberships, key=lambda item: item.tier.rank, default=None)


def magazine_or_404(*, slug: str) -> Magazine:
    magazine = Magazine.objects.filter(slug=slug).first()
    if magazine is None:
        raise Http404
    return magazine


def memberships_of(*, member, magazine: Magazine, now: datetime) -> list[Membership]:
    """The member's live grants of the magazine's (published) tier products, in one query."""
    grants = AccessGrant.objects.filter(
        member=member, product__tier__magazine=magazine, product__is_published=True
    ).select_related("product__tier")
    return [
        Membership(grant=grant, tier=grant.product.tier)
        for grant in grants
        if grant_allows_access(grant, now=now)
    ]


def entry_product(*, member, magazine: Magazine):
    """The tier product a member without access is sent to buy: theirs, else the cheapest."""
    grant = (
        AccessGrant.objects.filter(member=member, product__tier__magazine=magazine)
        .select_related("product")
        .order_by("-product__tier__rank")
        .first()
    )
    if grant is not None:
        return grant, grant.product
    tier = Tier.objects.filter(magazine=magazine).select_related("product").order_by("rank")
    first = tier.first()
    if first is None:
        raise Http404
    return None, first.product


def _with_lowest_rank(magazine: Magazine):
    # Explicit order: Meta.ordering does not apply to a GROUP BY query.
    posts = Post.objects.filter(magazine=magazine).annotate(lowest_rank=Min("tiers__rank"))
    return posts.order_by("-publish_at", "-pk")


def issues_page(
    *, magazine: Magazine, memberships: list[Membership], year: int | None, now: datetime
) -> IssuesPage:
    """The posts listed for the member, per month of ``year`` (default: the newest listed)."""
    tz = site_zone()
    posts = _with_lowest_rank(magazine).only(
        "pk", "magazine_id", "title", "slug", "publish_at", "announce"
    )
    by_year: dict[int, list[PostRow]] = defaultdict(list)
    upcoming: list[PostRow] = []
    for post in posts:
        post.magazine = magazine
        state = _state(post, memberships=memberships, now=now)
        if not state.is_listed:
            continue
        if post.publish_at > now:
            upcoming.insert(0, PostRow(post, state))
        else:
            by_year[post.publish_at.astimezone(tz).year].append(PostRow(post, state))
    years = sorted(by_year, reverse=True)
    if year not in by_year:
        year = years[0] if years else None
    issues: dict[date, Issue] = {}
    for row in by_year.get(year, []):  # newest first: the query's order
        month = row.post.publish_at.astimezone(tz).date().replace(day=1)
        issues.setdefault(month, Issue(month)).rows.append(row)
    if years and year != years[0]:
        upcoming = []
    return IssuesPage(magazine, memberships, year, years, list(issues.values()), upcoming)


def _state(post: Post, *, memberships: list[Membership], now: datetime) -> PostState:
    return post_state(
        memberships=memberships,
        publish_at=post.publish_at,
        lowest_rank=post.lowest_rank,
        announce=post.announce,
        now=now,
    )


def post_or_404(*, magazine: Magazine, slug: str) -> Post:
    post = _with_lowest_rank(magazine).filter(slug=slug).first()
    if post is None:
        raise Http404
    post.magazine = magazine
    return post


def post_state_for(*, post: Post, memberships: list[Membership], now: datetime) -> PostState:
    return _state(post, memberships=memberships, now=now)


def post_files(*, post: Post) -> list[PostFile]:
    return list(PostFile.objects.filter(post=post))
