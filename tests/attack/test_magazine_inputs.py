"""Odd input on the magazine pages gets a page, never a 5xx."""

from __future__ import annotations

import pytest

from tests.magazine.helpers import at, join, make_magazine, make_post, make_tier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_brand_cache")]


@pytest.mark.parametrize("year", ["²²²²", "١٢٣٤", "0000", "2026x", "-202"])
def test_a_year_of_unicode_digits_shows_the_newest_issues(client, year):
    magazine = make_magazine()
    tier = make_tier(magazine, rank=1, name="Basic")
    make_post(magazine, tier, title="March letter", publish_at=at(2026, 3, 2))
    member = join(tier, on=at(2026, 3, 1)).member
    client.force_login(member)

    response = client.get(f"{magazine.get_absolute_url()}?year={year}")

    assert response.status_code == 200
    assert "March letter" in response.content.decode()
