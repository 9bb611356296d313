"""The demo: a membership in two tiers with a year of monthly posts, seeded once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from magazine.models import Post, PostFile, Tier
from members.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development_site(settings):
    settings.DEBUG = True


def test_the_demo_magazine_has_two_tiers_and_a_year_of_posts_seeded_once():
    call_command("seed_demo")
    call_command("seed_demo")

    tiers = list(Tier.objects.order_by("rank").values_list("product__slug", "rank", "visibility"))
    assert tiers == [
        ("inner-circle-membership", 1, "back_catalogue_after"),
        ("inner-circle-premium", 2, "back_catalogue"),
    ]
    assert Post.objects.count() == 19
    months = {post.publish_at.strftime("%Y-%m") for post in Post.objects.all()}
    assert len(months) == 13  # twelve months back to this one, and next month's announced post
    assert PostFile.objects.count() == 1
    premium = Tier.objects.get(rank=2)
    assert list(premium.included_courses.values_list("slug", flat=True)) == ["six-day-habit-course"]


def test_the_demo_member_reads_this_months_basic_post_and_waits_for_the_back_catalogue(client):
    call_command("seed_demo")
    client.force_login(User.objects.get(email="member@example.com"))

    dashboard = client.get("/members/").content.decode()
    page = client.get("/members/magazine/inner-circle/").content.decode()

    assert 'href="/members/magazine/inner-circle/"' in dashboard
    assert "Look back before you look ahead" in page  # this month's post
    assert "opens for you on" in page  # the back catalogue, after three months
    assert "Hot seat recording" not in page  # premium posts
