"""A post's files: a personal, signed link that works while the post is open to the member."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.files.base import ContentFile

from magazine.models import PostFile, Tier
from tests.magazine.helpers import at, join, make_magazine, make_post, make_tier
from tests.members.helpers import make_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_brand_cache")]

NOW = at(2026, 3, 20)


@pytest.fixture
def setup(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    magazine = make_magazine()
    tier = make_tier(magazine, rank=1, name="Basic", visibility=Tier.Visibility.BACK_CATALOGUE)
    post = make_post(
        magazine,
        tier,
        title="March worksheet",
        publish_at=at(2026, 3, 1),
        video_url="https://youtu.be/aqz-KE-bpKQ",
    )
    item = PostFile(post=post, title="Pricing worksheet")
    item.file.save("pricing.pdf", ContentFile(b"%PDF-1.4 worksheet"), save=False)
    item.save()
    member = join(tier, on=at(2026, 3, 15)).member
    return post, member


def link_on_post_page(client, post, member) -> str:
    client.force_login(member)
    with time_machine.travel(NOW, tick=False):
        page = client.get(post.get_absolute_url()).content.decode()
    assert "youtube-nocookie.com/embed/aqz-KE-bpKQ" in page
    return re.search(r'href="(/members/magazine/files/[^"]+)"', page).group(1)


def test_the_member_downloads_a_file_of_an_open_post(client, setup):
    post, member = setup
    url = link_on_post_page(client, post, member)

    with time_machine.travel(NOW, tick=False):
        response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 worksheet"
    assert response["Cache-Control"] == "private, no-store"


def test_another_member_cannot_use_the_link(client, setup):
    post, member = setup
    url = link_on_post_page(client, post, member)
    client.force_login(make_member())

    with time_machine.travel(NOW, tick=False):
        response = client.get(url)

    assert response.status_code == 403


def test_the_link_stops_working_when_the_membership_is_revoked(client, setup):
    post, member = setup
    url = link_on_post_page(client, post, member)
    member.grants.update(state="revoked")

    with time_machine.travel(NOW, tick=False):
        response = client.get(url)

    assert response.status_code == 403
    assert b"worksheet" not in response.content
