"""Which posts a member sees, with the clock moved: the acceptance rules of issue 18 (items 1-2).

A member joins on 15 March 2026; posts were published on 10 February, 2 March and 20 April.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from magazine.models import Tier
from tests.magazine.helpers import BERLIN, at, join, make_magazine, make_post, make_tier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("warm_brand_cache")]

JOINED = at(2026, 3, 15, 10)
Visibility = Tier.Visibility


@pytest.fixture
def magazine():
    return make_magazine()


def posts_for(magazine, *tiers):
    return {
        "february": make_post(
            magazine, *tiers, title="February letter", publish_at=at(2026, 2, 10)
        ),
        "march": make_post(magazine, *tiers, title="March letter", publish_at=at(2026, 3, 2, 8)),
        "april": make_post(magazine, *tiers, title="April letter", publish_at=at(2026, 4, 20)),
    }


def page_at(client, member, url: str, when):
    client.force_login(member)
    with time_machine.travel(when, tick=False):
        return client.get(url)


def test_magazine_tier_sees_the_month_of_joining_and_later_but_not_before(client, magazine):
    tier = make_tier(magazine, rank=1, name="Basic", visibility=Visibility.MAGAZINE)
    posts = posts_for(magazine, tier)
    member = join(tier, on=JOINED).member

    page = page_at(client, member, magazine.get_absolute_url(), at(2026, 5, 1)).content.decode()

    assert "March letter" in page
    assert "April letter" in page
    assert "February letter" not in page
    assert "April 2026 issue" in page
    assert page.index("April letter") < page.index("March letter")  # newest first
    march = page_at(client, member, posts["march"].get_absolute_url(), at(2026, 5, 1))
    assert march.status_code == 200
    february = page_at(client, member, posts["february"].get_absolute_url(), at(2026, 5, 1))
    assert february.status_code == 404
    assert "Body of February letter" not in february.content.decode()


def test_the_join_month_counts_in_the_site_time_zone(client, magazine):
    """Joining at 00:30 on 1 March in Berlin (23:30 UTC on 28 February) is a March join."""
    tier = make_tier(magazine, rank=1, name="Basic")
    make_post(magazine, tier, title="Late February", publish_at=at(2026, 2, 28, 20))
    make_post(magazine, tier, title="First of March", publish_at=at(2026, 3, 1, 0, 10))
    member = join(tier, on=at(2026, 3, 1, 0, 30)).member

    page = page_at(client, member, magazine.get_absolute_url(), at(2026, 3, 2)).content.decode()

    assert "First of March" in page
    assert "Late February" not in page


def test_back_catalogue_tier_sees_everything_published(client, magazine):
    tier = make_tier(magazine, rank=1, name="Archive", visibility=Visibility.BACK_CATALOGUE)
    posts = posts_for(magazine, tier)
    member = join(tier, on=JOINED).member

    page = page_at(client, member, magazine.get_absolute_url(), at(2026, 3, 16)).content.decode()
    body = page_at(client, member, posts["february"].get_absolute_url(), at(2026, 3, 16))

    assert "February letter" in page
    assert "March letter" in page
    assert "April letter" not in page  # published in the future: never visible
    assert "Body of February letter" in body.content.decode()


def test_back_catalogue_after_three_months_opens_on_15_june_not_14_june(client, magazine):
    tier = make_tier(
        magazine, rank=1, name="Loyal", visibility=Visibility.BACK_CATALOGUE_AFTER, months=3
    )
    posts = posts_for(magazine, tier)
    member = join(tier, on=JOINED).member
    url = posts["february"].get_absolute_url()

    list_before = page_at(client, member, magazine.get_absolute_url(), at(2026, 6, 14, 23, 59))
    post_before = page_at(client, member, url, at(2026, 6, 14, 23, 59))
    post_after = page_at(client, member, url, at(2026, 6, 15, 0, 0))

    listing = list_before.content.decode()
    assert "opens for you on 15 Jun 2026" in listing  # listed, with its date, not its content
    assert f'href="{url}"' not in listing
    assert post_before.status_code == 200
    assert "Body of February letter" not in post_before.content.decode()
    assert "This post opens for you on 15 Jun 2026" in post_before.content.decode()
    assert "Body of February letter" in post_after.content.decode()
    # From the start, this tier already has the magazine rule's posts.
    march = page_at(client, member, posts["march"].get_absolute_url(), at(2026, 3, 16))
    assert "Body of March letter" in march.content.decode()


def test_premium_sees_basic_posts_and_basic_does_not_see_premium_posts(client, magazine):
    basic = make_tier(magazine, rank=1, name="Basic", visibility=Visibility.BACK_CATALOGUE)
    premium = make_tier(magazine, rank=2, name="Premium", visibility=Visibility.BACK_CATALOGUE)
    basic_post = make_post(magazine, basic, title="For everyone", publish_at=at(2026, 3, 1))
    premium_post = make_post(magazine, premium, title="Deep dive", publish_at=at(2026, 3, 5))
    basic_member = join(basic, on=JOINED).member
    premium_member = join(premium, on=JOINED).member
    now = at(2026, 3, 20)

    premium_page = page_at(client, premium_member, magazine.get_absolute_url(), now)
    basic_page = page_at(client, basic_member, magazine.get_absolute_url(), now)

    assert "For everyone" in premium_page.content.decode()
    assert "Deep dive" in premium_page.content.decode()
    assert "For everyone" in basic_page.content.decode()
    assert "Deep dive" not in basic_page.content.decode()
    assert page_at(client, basic_member, premium_post.get_absolute_url(), now).status_code == 404
    assert page_at(client, premium_member, basic_post.get_absolute_url(), now).status_code == 200


def test_a_lapsed_member_sees_nothing(client, magazine):
    tier = make_tier(magazine, rank=1, name="Basic", visibility=Visibility.BACK_CATALOGUE)
    posts = posts_for(magazine, tier)
    paid_through = at(2026, 4, 15)
    member = join(tier, on=JOINED, paid_through=paid_through).member
    lapsed = paid_through + timedelta(days=30)  # past the grace period, no webhook needed

    listing = page_at(client, member, magazine.get_absolute_url(), lapsed)
    post = page_at(client, member, posts["march"].get_absolute_url(), lapsed)

    assert listing.status_code == 403
    assert "March letter" not in listing.content.decode()
    assert post.status_code == 403
    assert "Body of March letter" not in post.content.decode()


def test_a_visitor_and_a_non_member_get_no_posts(client, magazine):
    tier = make_tier(magazine, rank=1, name="Basic", visibility=Visibility.BACK_CATALOGUE)
    post = make_post(magazine, tier, title="Members only", publish_at=at(2026, 3, 1))
    from tests.members.helpers import make_member

    assert client.get(post.get_absolute_url()).status_code == 302  # to the login page
    response = page_at(client, make_member(), post.get_absolute_url(), at(2026, 3, 20))
    assert response.status_code == 403
    assert "Members only" not in response.content.decode()


def test_a_future_post_shows_only_when_announced(client, magazine):
    tier = make_tier(magazine, rank=1, name="Basic")
    quiet = make_post(magazine, tier, title="Quiet one", publish_at=at(2026, 4, 2, 9))
    make_post(magazine, tier, title="Big news", publish_at=at(2026, 4, 1, 9), announce=True)
    member = join(tier, on=JOINED).member

    before = page_at(client, member, magazine.get_absolute_url(), at(2026, 3, 20)).content.decode()
    after = page_at(client, member, magazine.get_absolute_url(), at(2026, 4, 3)).content.decode()

    assert "Big news" in before
    assert "Coming up" in before
    assert "opens for you on 1 Apr 2026" in before
    assert "Quiet one" not in before
    assert page_at(client, member, quiet.get_absolute_url(), at(2026, 3, 20)).status_code == 404
    assert "Quiet one" in after
    assert "Big news" in after


@pytest.mark.parametrize(
    ("language", "heading", "waiting"),
    [
        ("de", "Ausgabe März 2026", "für dich ab 15. Juni 2026 verfügbar"),
        ("nl", "Editie maart 2026", "opent voor je op 15 juni 2026"),
    ],
)
def test_issues_are_headed_by_the_month_in_the_members_language(
    client, magazine, language, heading, waiting
):
    tier = make_tier(
        magazine, rank=1, name="Loyal", visibility=Visibility.BACK_CATALOGUE_AFTER, months=3
    )
    posts_for(magazine, tier)
    member = join(tier, on=JOINED).member
    member.language = language
    member.save()

    page = page_at(client, member, magazine.get_absolute_url(), at(2026, 3, 20)).content.decode()

    assert heading in page
    assert waiting in page


def test_the_back_catalogue_opens_on_the_last_day_of_a_shorter_month(magazine):
    """Joined on 31 January with "after 1 month": the back catalogue opens on 28 February."""
    from magazine.visibility import Membership, opens_for

    tier = make_tier(
        magazine, rank=1, name="Loyal", visibility=Visibility.BACK_CATALOGUE_AFTER, months=1
    )
    grant = join(tier, on=at(2026, 1, 31, 18))

    opens = opens_for(
        membership=Membership(grant=grant, tier=tier), publish_at=at(2025, 12, 1), tz=BERLIN
    )

    assert opens == at(2026, 2, 28, 0, 0)


def test_a_paused_month_is_not_counted_towards_the_back_catalogue(client, magazine):
    """Joined 15 March, paused 30 days in between: "after 3 months" opens on 15 July, not
    15 June (the pause's days are added to the membership's clock)."""
    tier = make_tier(
        magazine, rank=1, name="Loyal", visibility=Visibility.BACK_CATALOGUE_AFTER, months=3
    )
    posts = posts_for(magazine, tier)
    member = join(tier, on=JOINED, paused_total=timedelta(days=30)).member
    url = posts["february"].get_absolute_url()

    in_june = page_at(client, member, url, at(2026, 6, 20)).content.decode()
    in_july = page_at(client, member, url, at(2026, 7, 15, 0, 0)).content.decode()

    assert "This post opens for you on 15 Jul 2026" in in_june
    assert "Body of February letter" not in in_june
    assert "Body of February letter" in in_july


def test_while_paused_what_was_open_stays_open_and_no_new_issue_opens(client, magazine):
    tier = make_tier(magazine, rank=1, name="Basic", visibility=Visibility.MAGAZINE)
    posts = posts_for(magazine, tier)
    grant = join(tier, on=JOINED, paused_since=at(2026, 4, 1))
    member = grant.member

    page = page_at(client, member, magazine.get_absolute_url(), at(2026, 5, 1)).content.decode()
    april = page_at(client, member, posts["april"].get_absolute_url(), at(2026, 5, 1))
    march = page_at(client, member, posts["march"].get_absolute_url(), at(2026, 5, 1))

    assert "March letter" in page
    assert "April letter" not in page  # published during the pause
    assert april.status_code == 404
    assert "Body of March letter" in march.content.decode()

    grant.paused_since = None  # resumed: the pause's issues are there again
    grant.paused_total = timedelta(days=31)
    grant.save(update_fields=["paused_since", "paused_total"])
    resumed = page_at(client, member, magazine.get_absolute_url(), at(2026, 5, 2)).content.decode()
    assert "April letter" in resumed
