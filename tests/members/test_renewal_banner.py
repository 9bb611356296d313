"""What the member area tells a paying member between the period end and the renewal."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db
NOW = BOUGHT_AT + timedelta(days=4)


def test_a_renewal_not_yet_processed_is_not_reported_as_a_failed_payment(client, settings):
    """Stored state ``active``, no failure recorded: the period ended an hour ago and the renewal
    webhook has not arrived yet (Stripe charges about an hour after period end; Digistore24's
    paid period ends at Berlin midnight and rebills later that day). ``effective_state`` turns
    this into ``grace`` and every paying subscriber is told their payment failed, monthly."""
    settings.MEMBERSHIP_GRACE_DAYS = 3
    member = make_member(time_zone="UTC")
    client.force_login(member)
    product = ProductFactory(name="Inner circle")
    grant(member, product, paid_through=NOW - timedelta(hours=1))

    with time_machine.travel(NOW, tick=False):
        page = client.get("/members/").content.decode()

    assert "did not go through" not in page
