"""The magazine pages keep a fixed query count: 5 posts in one year or 500 over five years."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branding.selectors import current_brand
from magazine.models import Post, PostFile, Tier
from tests.magazine.helpers import at, join, make_magazine, make_tier
from tests.members.helpers import make_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_brand_cache")]

NOW = at(2026, 12, 20)
# session, user, magazine, the member's tier grants, every post with its lowest tier rank.
ISSUES_CAP = 5
# session, user, magazine, tier grants, the post, its files (first use already stamped).
POST_CAP = 6
DASHBOARD_CAP = 6  # the members' dashboard (5) plus the courses included in the tiers


def build(*, posts: int, years: int):
    """A basic and a premium tier; ``posts`` posts spread over ``years`` years up to NOW."""
    magazine = make_magazine(slug=f"mag-{posts}")
    basic = make_tier(magazine, rank=1, name="Basic", visibility=Tier.Visibility.BACK_CATALOGUE)
    premium = make_tier(
        magazine, rank=2, name="Premium", visibility=Tier.Visibility.BACK_CATALOGUE_AFTER, months=3
    )
    course = make_course()
    course.product.is_published = True
    course.product.save()
    premium.included_courses.add(course.product)
    step = timedelta(days=365 * years) / posts
    created = Post.objects.bulk_create(
        Post(
            magazine=magazine,
            title=f"Post {number}",
            slug=f"post-{number}",
            body="<p>Body</p>",
            publish_at=NOW - step * number - timedelta(hours=1),
            announce=number % 7 == 0,
        )
        for number in range(posts)
    )
    through = Post.tiers.through
    through.objects.bulk_create(
        through(post_id=post.pk, tier_id=(premium if index % 3 == 0 else basic).pk)
        for index, post in enumerate(created)
    )
    PostFile.objects.create(post=created[0], title="Worksheet", file="post-files/w.pdf")
    grant = join(premium, on=NOW - timedelta(days=40), first_used_at=NOW - timedelta(days=39))
    return magazine, created, grant.member


def count(client, member, url: str) -> tuple[int, str]:
    with time_machine.travel(NOW, tick=False):
        current_brand()  # warm at NOW: the cache would have expired travelling forward
        client.force_login(member)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_issues_post_and_dashboard_pages_run_the_same_queries_for_5_and_500_posts(client):
    small = build(posts=5, years=1)
    large = build(posts=500, years=5)

    counts = []
    for magazine, posts, member in (small, large):
        issues, page = count(client, member, magazine.get_absolute_url())
        post, _ = count(client, member, posts[0].get_absolute_url())
        dashboard, board = count(client, member, "/members/")
        counts.append((issues, post, dashboard))
        assert "December 2026 issue" in page
        assert "Included in Premium" in board

    assert counts[0] == counts[1]
    assert counts[0] <= (ISSUES_CAP, POST_CAP, DASHBOARD_CAP)


def test_the_large_magazine_pages_by_year(client):
    magazine, _posts, member = build(posts=500, years=5)

    _, page = count(client, member, magazine.get_absolute_url())
    _, older = count(client, member, magazine.get_absolute_url() + "?year=2023")

    assert "December 2026 issue" in page
    assert "December 2025 issue" not in page
    assert "March 2023 issue" in older
    assert "December 2026 issue" not in older
    for year in ("2022", "2023", "2024", "2025", "2026"):
        assert f'href="?year={year}"' in page
