"""The free tier's seam for the lead-magnet opt-in, and the creator's post admin."""

from __future__ import annotations

import pytest
import time_machine

from magazine.models import Post, Tier
from members.models import AccessGrant
from members.services import grant_access
from tests.factories import UserFactory
from tests.magazine.helpers import at, make_magazine, make_post, make_tier
from tests.members.helpers import make_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_brand_cache")]


def test_a_free_tier_granted_like_the_lead_magnet_shows_free_posts_not_premium_ones(client):
    """The opt-in (app ``leads``) grants the free tier's product with source ``free``."""
    magazine = make_magazine()
    free = make_tier(magazine, rank=0, name="Free", visibility=Tier.Visibility.BACK_CATALOGUE)
    premium = make_tier(magazine, rank=2, name="Premium", visibility=Tier.Visibility.BACK_CATALOGUE)
    make_post(magazine, free, title="Free letter", publish_at=at(2026, 3, 1))
    make_post(magazine, premium, title="Premium letter", publish_at=at(2026, 3, 2))
    member = make_member()
    grant_access(
        member=member, product=free.product, order=None, paid_through=None,
        source=AccessGrant.Source.FREE, now=at(2026, 3, 10), reason="lead magnet opt-in",
    )  # fmt: skip
    client.force_login(member)

    with time_machine.travel(at(2026, 3, 20), tick=False):
        page = client.get(magazine.get_absolute_url()).content.decode()

    assert "Free letter" in page
    assert "Premium letter" not in page


@pytest.fixture
def creator(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


def test_the_post_list_goes_by_month_and_filters_by_tier(client, creator):
    magazine = make_magazine()
    basic = make_tier(magazine, rank=1, name="Basic")
    premium = make_tier(magazine, rank=2, name="Premium")
    make_post(magazine, basic, title="Basic in March", publish_at=at(2026, 3, 5))
    make_post(magazine, premium, title="Premium in April", publish_at=at(2026, 4, 5))

    march = client.get("/admin/magazine/post/?publish_at__year=2026&publish_at__month=3")
    by_tier = client.get(f"/admin/magazine/post/?tiers__id__exact={premium.pk}")

    assert "Basic in March" in march.content.decode()
    assert "Premium in April" not in march.content.decode()
    assert "Premium in April" in by_tier.content.decode()
    assert "Basic in March" not in by_tier.content.decode()


def test_a_post_cannot_take_another_magazines_tier_or_a_foreign_video(client, creator):
    magazine, other = make_magazine(), make_magazine(slug="other")
    foreign = make_tier(other, rank=1, name="Elsewhere")

    response = client.post(
        "/admin/magazine/post/add/",
        {
            "magazine": magazine.pk, "title": "Hello", "slug": "hello",
            "publish_at_0": "2026-03-01", "publish_at_1": "08:00:00",
            "tiers": [foreign.pk], "body": "<p>Hi</p><script>alert(1)</script>",
            "video_url": "https://evil.example/video",
            "files-TOTAL_FORMS": "0", "files-INITIAL_FORMS": "0",
        },
    )  # fmt: skip

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose tiers of this post&#x27;s magazine." in page
    assert "Paste a video address from YouTube" in page
    assert not Post.objects.exists()


def test_a_saved_post_body_is_sanitized(client, creator):
    magazine = make_magazine()
    tier = make_tier(magazine, rank=1, name="Basic")

    response = client.post(
        "/admin/magazine/post/add/",
        {
            "magazine": magazine.pk, "title": "Hello", "slug": "hello",
            "publish_at_0": "2026-03-01", "publish_at_1": "08:00:00",
            "tiers": [tier.pk], "body": "<p>Hi</p><script>alert(1)</script>",
            "video_url": "https://youtu.be/aqz-KE-bpKQ",
            "files-TOTAL_FORMS": "0", "files-INITIAL_FORMS": "0",
        },
    )  # fmt: skip

    assert response.status_code == 302
    post = Post.objects.get()
    assert post.body == "<p>Hi</p>"
    assert post.publish_at == at(2026, 3, 1, 8)  # entered in the site's time zone
