"""Support gives access anyway: a subscriber stays a subscriber (issue 13's bug)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from drip.services import apply_activation_windows
from members.models import AccessGrant
from tests.factories import GrantFactory, ProductFactory

pytestmark = pytest.mark.django_db

BOUGHT = datetime(2026, 3, 1, 9, tzinfo=UTC)
PAID_THROUGH = datetime(2026, 4, 1, 9, tzinfo=UTC)
NOW = BOUGHT + timedelta(days=20)


def test_giving_access_anyway_keeps_a_monthly_subscribers_paid_through_date(creator_client):
    """Regression: the admin action set paid-through to none (lifetime access)."""
    product = ProductFactory(
        name="Inner circle", kind="membership", activation_window_days=14,
        activation_window_action="expire",
    )  # fmt: skip
    grant = GrantFactory(
        member__email="ada@x.test", product=product, starts_at=BOUGHT, paid_through=PAID_THROUGH
    )
    apply_activation_windows(now=NOW)
    grant.refresh_from_db()
    assert grant.state == AccessGrant.State.EXPIRED

    with time_machine.travel(NOW, tick=False):
        creator_client.post(
            reverse("admin:members_accessgrant_changelist"),
            {"action": "restore_access", "_selected_action": [grant.pk]},
        )

    grant.refresh_from_db()
    assert grant.state == AccessGrant.State.ACTIVE
    assert grant.paid_through == PAID_THROUGH
    assert grant.source == AccessGrant.Source.STRIPE
    creator_client.force_login(grant.member)
    with time_machine.travel(NOW, tick=False):
        page = creator_client.get("/members/").content.decode()
    assert "Active, paid through 1 Apr 2026" in page


def test_after_a_lapse_support_must_say_until_when_and_the_grant_stays_a_subscription(creator):
    from members.support import SupportError, give_access_anyway
    from tests.support.helpers import access, everything

    lapsed_at = PAID_THROUGH + timedelta(days=10)
    grant = GrantFactory(
        member__email="ada@x.test", product__slug="club", starts_at=BOUGHT,
        paid_through=PAID_THROUGH, state="expired", ended_unpaid=True, ended_at=lapsed_at,
    )  # fmt: skip
    before = everything()
    with pytest.raises(SupportError, match="which has passed: give an until-date"):
        give_access_anyway(grant_pk=grant.pk, actor=creator, reason="sorry", now=lapsed_at)
    assert everything() == before

    until = lapsed_at + timedelta(days=7)
    change = give_access_anyway(
        grant_pk=grant.pk, actor=creator, reason="card replaced", now=lapsed_at, until=until
    )
    repeat = give_access_anyway(
        grant_pk=grant.pk, actor=creator, reason="card replaced", now=lapsed_at, until=until
    )

    assert (change.changed, repeat.changed) == (True, False)
    row = access("ada@x.test", at=lapsed_at)["club"]
    assert (row["state"], row["source"]) == ("active", "stripe")
    assert row["paid_through"] == "2026-04-18T09:00:00+00:00"
    assert [(h["kind"], h["actor"], h["reason"]) for h in row["history"]] == [
        ("reactivated", "creator@example.test", "card replaced")
    ]


def test_a_blank_reason_is_refused(creator):
    from members.support import SupportError, give_access_anyway

    grant = GrantFactory(state="revoked")
    with pytest.raises(SupportError, match="a reason is required"):
        give_access_anyway(grant_pk=grant.pk, actor=creator, reason=" ", now=NOW)
    grant.refresh_from_db()
    assert grant.state == "revoked"
