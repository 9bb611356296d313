"""Issue 18 acceptance: the free tier is joined with the lead magnet's double opt-in and shows
free posts, not premium ones; buying premium in the offline test checkout opens the premium posts
as soon as the signed events are processed."""

from __future__ import annotations

import pytest
import time_machine

from members.models import AccessGrant
from tests.factories import RecurringPriceFactory
from tests.leads.helpers import form_data, link_path, signup_url
from tests.magazine.helpers import at, make_magazine, make_post, make_tier

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 20, 10)


def test_free_tier_by_double_opt_in_then_premium_by_the_test_checkout(
    client, post_committed, mailoutbox, offline_test_mode, django_capture_on_commit_callbacks
):
    magazine = make_magazine()
    free = make_tier(magazine, rank=0, name="Free letters", visibility="back_catalogue")
    premium = make_tier(magazine, rank=2, name="Premium circle", visibility="back_catalogue")
    price = RecurringPriceFactory(product=premium.product, amount=4900, currency="EUR")
    make_post(magazine, free, title="Free letter", publish_at=at(2026, 10, 5))
    make_post(magazine, premium, title="Premium deep dive", publish_at=at(2026, 10, 12))

    with time_machine.travel(NOW, tick=False):
        post_committed(signup_url(free.product), form_data(email="ada@example.test"))
        (confirmation,) = mailoutbox
        assert not AccessGrant.objects.exists()  # nothing before the confirmation
        client.post(link_path(confirmation))
        issues = client.get(magazine.get_absolute_url()).content.decode()

        assert AccessGrant.objects.get().source == "free"
        assert "Free letter" in issues
        assert "Premium deep dive" not in issues

        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"/billing/checkout/test/{price.pk}/",
                {"withdrawal_waiver": "on", "email": "ada@example.test"},
            )
        issues = client.get(magazine.get_absolute_url()).content.decode()

    assert "Premium deep dive" in issues
    assert "Free letter" in issues  # premium includes what the free tier sees
    assert AccessGrant.objects.get(product=premium.product).state == "active"
