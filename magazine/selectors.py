"""Read-only queries of the member's magazine pages; a fixed number whatever the post count.

The issues page runs three queries (the magazine, the member's tier grants, every post of the
magazine without its body, with the lowest rank of its tiers); the states are computed here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import NamedTuple

from django.db import connections
from django.db.models import Min
from django.http import Http404

from magazine.models import Magazine, Post, PostFile, Tier
from magazine.visibility import HIDDEN, Membership, PostState, Reader, post_state, site_zone
from members.access import grant_allows_access, local_midnight
from members.models import AccessGrant
from membership_site.rows import Precompiled, first_row


class PostRow(NamedTuple):
    """A post as the issues page lists it: no instance, no body (one per listed post)."""

    pk: int
    slug: str
    title: str
    publish_at: datetime
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


# Member pages run these on every request: compiled once per thread (``membership_site.rows``).
_MAGAZINE = Precompiled(lambda *, slug: first_row(Magazine.objects.filter(slug=slug)), slug=str)
_TIER_GRANTS = Precompiled(
    lambda *, member_pk, magazine_pk: AccessGrant.objects.filter(
        member_id=member_pk, product__tier__magazine_id=magazine_pk, product__is_published=True
    ).select_related("product__tier"),
    member_pk=int,
    magazine_pk=int,
)


def magazine_or_404(*, slug: str) -> Magazine:
    magazine = _MAGAZINE.first(slug=slug)
    if magazine is None:
        raise Http404
    return magazine


def memberships_of(*, member, magazine: Magazine, now: datetime) -> list[Membership]:
    """The member's live grants of the magazine's (published) tier products, in one query."""
    grants = _TIER_GRANTS.run(member_pk=member.pk, magazine_pk=magazine.pk)
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


# The issues page reads every post of the magazine (without the body) to know which years
# hold a post for the member: one statement, compiled once per thread and database.
_POST_LINE_COLUMNS = ("pk", "slug", "title", "publish_at", "announce", "lowest_rank")
_STAND_IN = -(2**62)  # no magazine has this pk


def _compile_post_lines(using: str) -> tuple:
    queryset = _with_lowest_rank(Magazine(pk=_STAND_IN)).values_list(*_POST_LINE_COLUMNS)
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    if list(params) != [_STAND_IN]:
        raise ValueError("the post lines statement takes the magazine's pk only")
    return sql, compiler


# A compiler belongs to its thread's connection (tests switch databases: keyed by vendor).
_compiled = threading.local()


def _post_lines(*, magazine_pk: int) -> list[tuple]:
    """(pk, slug, title, publish_at, announce, lowest_rank) of every post, newest first."""
    using = "default"
    vendor = connections[using].vendor
    compiled = getattr(_compiled, vendor, None)
    if compiled is None:
        compiled = _compile_post_lines(using)
        setattr(_compiled, vendor, compiled)
    sql, compiler = compiled
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [magazine_pk])
        rows = cursor.fetchall()
    # The backend's converters, as the queryset would apply them (SQLite: text dates).
    return list(compiler.results_iter([rows], tuple_expected=True))


def issues_page(
    *, magazine: Magazine, memberships: list[Membership], year: int | None, now: datetime
) -> IssuesPage:
    """The posts listed for the member, per month of ``year`` (default: the newest listed)."""
    tz = site_zone()
    reader = Reader(memberships=memberships, now=now, tz=tz)
    state, now = reader.state, reader.now  # UTC, as publish_at: see Reader
    by_year: dict[int, list[PostRow]] = {}
    upcoming: list[PostRow] = []
    year_start = local_year = rows = None
    skip = False
    for pk, slug, title, publish_at, announce, lowest_rank in _post_lines(magazine_pk=magazine.pk):
        if publish_at > now:
            found = state(publish_at=publish_at, lowest_rank=lowest_rank, announce=announce)
            if found.status != HIDDEN:
                upcoming.insert(0, PostRow(pk, slug, title, publish_at, found))
            continue
        if year_start is None or publish_at < year_start:  # newest first: an older year begins
            local_year = publish_at.astimezone(tz).year
            try:
                year_start = local_midnight(date(local_year, 1, 1), tz).astimezone(UTC)
            except OverflowError:  # year 1 east of UTC begins in year 0 UTC: the oldest year
                year_start = datetime.min.replace(tzinfo=UTC)
            rows, skip = None, False
        if skip:  # the year is listed and not shown: its other posts change nothing
            continue
        found = state(publish_at=publish_at, lowest_rank=lowest_rank, announce=announce)
        if found.status == HIDDEN:
            continue
        if rows is None:
            rows = by_year[local_year] = []
        rows.append(PostRow(pk, slug, title, publish_at, found))
        # Shown: the asked year, and the newest listed one (the answer when none was asked).
        skip = local_year != year and local_year != next(iter(by_year))
    years = sorted(by_year, reverse=True)
    if year not in by_year:
        year = years[0] if years else None
    issues: dict[date, Issue] = {}
    for row in by_year.get(year, []):  # newest first: the query's order
        month = row.publish_at.astimezone(tz).date().replace(day=1)
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


_POST = Precompiled(
    lambda *, magazine_pk, slug: first_row(
        _with_lowest_rank(Magazine(pk=magazine_pk)).filter(slug=slug)
    ),
    magazine_pk=int,
    slug=str,
)
_FILES = Precompiled(lambda *, post_pk: PostFile.objects.filter(post_id=post_pk), post_pk=int)


def post_or_404(*, magazine: Magazine, slug: str) -> Post:
    post = _POST.first(magazine_pk=magazine.pk, slug=slug)
    if post is None:
        raise Http404
    post.magazine = magazine
    return post


def post_state_for(*, post: Post, memberships: list[Membership], now: datetime) -> PostState:
    return _state(post, memberships=memberships, now=now)


def post_files(*, post: Post) -> list[PostFile]:
    return _FILES.run(post_pk=post.pk)
