"""One-time login links across the autumn clock change (tokens are dated in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.hashers import make_password

from members.login_links import login_link_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_fresh_link_works_in_the_hour_after_the_autumn_clock_change(client, settings):
    """Tokens are dated with Django's naive local clock (TIME_ZONE Europe/Berlin) and the
    override refuses a negative age. A welcome link sent at 02:50 CEST on the night the clocks
    go back is refused 15 minutes later (02:05 CET) as 'used or expired'."""
    # (a float destination keeps the process time zone, as in production)
    settings.LOGIN_LINK_MAX_AGE_SECONDS = 3 * 24 * 3600
    member = UserFactory(email="ada@x.test", password=make_password(None))
    with time_machine.travel(datetime(2025, 10, 26, 0, 50, tzinfo=UTC).timestamp(), tick=False):
        path = login_link_url(member).removeprefix("http://testserver")
    with time_machine.travel(datetime(2025, 10, 26, 1, 5, tzinfo=UTC).timestamp(), tick=False):
        response = client.get(path)
    assert response.status_code == 200, "a 15-minute-old link is refused"
