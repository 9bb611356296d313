"""The issues page as it was before issue 20 (selector, visibility rules, template), kept as
the oracle that the faster page must match answer for answer. Do not "fix" it: it is frozen."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db.models import Min
from django.http import Http404

from magazine.models import Magazine, Post, PostFile, Tier
from magazine.visibility import HIDDEN, OPEN, WAITING, Membership, add_months, site_zone
from members.access import ZERO, clock_now, grant_allows_access, local_midnight
from members.models import AccessGrant

Visibility = Tier.Visibility


@dataclass(frozen=True)
class OldPostState:
    status: str
    opens_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def is_listed(self) -> bool:
        return self.status != HIDDEN


def old_opens_for(*, membership: Membership, publish_at: datetime, tz: ZoneInfo):
    tier, joined = membership.tier, membership.grant.starts_at.astimezone(tz).date()
    magazine_start = local_midnight(joined.replace(day=1), tz)
    if tier.visibility == Visibility.BACK_CATALOGUE or publish_at >= magazine_start:
        return publish_at
    if tier.visibility == Visibility.MAGAZINE:
        return None
    months = tier.back_catalogue_after_months or 0
    paused = membership.grant.paused_total or ZERO
    return max(publish_at, local_midnight(add_months(joined, months), tz) + paused)


def old_post_state(*, memberships, publish_at, lowest_rank, announce, now, tz=None):
    tz = tz or site_zone()
    if lowest_rank is None:
        return OldPostState(HIDDEN)
    live = [
        item
        for item in memberships
        if item.tier.rank >= lowest_rank and grant_allows_access(item.grant, now=now)
    ]
    dates, open_dates = [], []
    for item in live:
        at = old_opens_for(membership=item, publish_at=publish_at, tz=tz)
        if at is None:
            continue
        dates.append(at)
        if at <= clock_now(item.grant, now=now):
            open_dates.append(at)
    if open_dates:
        return OldPostState(OPEN, min(open_dates))
    if not dates:
        return OldPostState(HIDDEN)
    opens_at = min(dates)
    if opens_at <= now:
        return OldPostState(HIDDEN)
    if opens_at == publish_at and not announce:
        return OldPostState(HIDDEN)
    return OldPostState(WAITING, opens_at)


@dataclass(frozen=True)
class OldPostRow:
    post: Post
    state: OldPostState


@dataclass
class OldIssue:
    month: date
    rows: list[OldPostRow] = field(default_factory=list)


@dataclass(frozen=True)
class OldIssuesPage:
    magazine: Magazine
    memberships: list[Membership]
    year: int | None
    years: list[int]
    issues: list[OldIssue]
    upcoming: list[OldPostRow]

    @property
    def best(self) -> Membership | None:
        return max(self.memberships, key=lambda item: item.tier.rank, default=None)


def old_issues_page(*, magazine, memberships, year, now) -> OldIssuesPage:
    tz = site_zone()
    posts = (
        Post.objects.filter(magazine=magazine)
        .annotate(lowest_rank=Min("tiers__rank"))
        .order_by("-publish_at", "-pk")
        .only("pk", "magazine_id", "title", "slug", "publish_at", "announce")
    )
    by_year = defaultdict(list)
    upcoming = []
    for post in posts:
        post.magazine = magazine
        state = old_post_state(
            memberships=memberships,
            publish_at=post.publish_at,
            lowest_rank=post.lowest_rank,
            announce=post.announce,
            now=now,
        )
        if not state.is_listed:
            continue
        if post.publish_at > now:
            upcoming.insert(0, OldPostRow(post, state))
        else:
            by_year[post.publish_at.astimezone(tz).year].append(OldPostRow(post, state))
    years = sorted(by_year, reverse=True)
    if year not in by_year:
        year = years[0] if years else None
    issues = {}
    for row in by_year.get(year, []):
        month = row.post.publish_at.astimezone(tz).date().replace(day=1)
        issues.setdefault(month, OldIssue(month)).rows.append(row)
    if years and year != years[0]:
        upcoming = []
    return OldIssuesPage(magazine, memberships, year, years, list(issues.values()), upcoming)


def old_magazine_or_404(*, slug: str) -> Magazine:
    magazine = Magazine.objects.filter(slug=slug).first()
    if magazine is None:
        raise Http404
    return magazine


def old_memberships_of(*, member, magazine: Magazine, now: datetime) -> list[Membership]:
    grants = AccessGrant.objects.filter(
        member=member, product__tier__magazine=magazine, product__is_published=True
    ).select_related("product__tier")
    return [
        Membership(grant=grant, tier=grant.product.tier)
        for grant in grants
        if grant_allows_access(grant, now=now)
    ]


def old_post_or_404(*, magazine: Magazine, slug: str) -> Post:
    post = (
        Post.objects.filter(magazine=magazine)
        .annotate(lowest_rank=Min("tiers__rank"))
        .order_by("-publish_at", "-pk")
        .filter(slug=slug)
        .first()
    )
    if post is None:
        raise Http404
    post.magazine = magazine
    return post


def old_post_state_for(*, post: Post, memberships: list[Membership], now: datetime):
    return old_post_state(
        memberships=memberships,
        publish_at=post.publish_at,
        lowest_rank=post.lowest_rank,
        announce=post.announce,
        now=now,
    )


def old_post_files(*, post: Post) -> list[PostFile]:
    return list(PostFile.objects.filter(post=post))


# ``magazine/templates/magazine/issues.html`` as it was.
OLD_ISSUES_TEMPLATE = (Path(__file__).parent / "old_issues.html").read_text()
