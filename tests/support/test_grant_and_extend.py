"""``grant`` and ``extend``: complimentary access and longer access, seen by the member."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError

from drip.services import expire_lapsed_grants
from members.models import AccessGrant, GrantEvent
from members.support import SupportError, extend_access, grant_complimentary
from tests.factories import GrantFactory, ProductFactory, UserFactory
from tests.support.helpers import NOW, access, dashboard, everything, run, run_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(email="ada@x.test", time_zone="Europe/Berlin")


@pytest.fixture
def habits():
    return ProductFactory(name="Habits", slug="habits")


def test_grant_for_life_is_shown_to_the_member_as_complimentary(client, ada, habits):
    result = run("grant", "ADA@x.test", "habits", "--reason", "podcast guest")

    assert result["changed"] is True
    row = access("ada@x.test")["habits"]
    assert (row["state"], row["source"], row["until"]) == ("active", "complimentary", None)
    assert row["history"] == [
        {"at": "2026-03-10T12:00:00+00:00", "kind": "granted", "reason": "podcast guest",
         "actor": None, "event": None}
    ]  # fmt: skip
    assert "Complimentary" in dashboard(client, ada)


def test_grant_until_a_date_lasts_to_the_end_of_that_day_in_the_members_zone(client, ada, habits):
    text = run_text("grant", "ada@x.test", "habits", "--until", "2026-03-31", "--reason", "gift")

    assert text == "ada@x.test: habits: complimentary access until 2026-03-31 22:00 UTC\n"
    grant = AccessGrant.objects.get(member=ada)
    assert grant.paid_through == datetime(2026, 3, 31, 22, tzinfo=UTC)  # midnight CEST
    assert "Complimentary, until 1 Apr 2026" in dashboard(client, ada)


def test_granting_twice_changes_nothing(ada, habits):
    run("grant", "ada@x.test", "habits", "--until", "2026-04-30", "--reason", "gift")
    before = everything()

    again = run("grant", "ada@x.test", "habits", "--until", "2026-04-30", "--reason", "gift")

    assert again["changed"] is False
    assert everything() == before


def test_a_complimentary_grant_that_runs_out_sends_no_payment_failed_mail(
    client, ada, habits, mailoutbox
):
    grant_complimentary(member=ada, product=habits, until=NOW + timedelta(days=1), actor=None,
                        reason="trial", now=NOW)  # fmt: skip

    later = NOW + timedelta(days=30)
    assert "no payment arrived" not in dashboard(client, ada, at=later)  # before the sweep
    expire_lapsed_grants(now=later)

    grant = AccessGrant.objects.get(member=ada)
    assert (grant.state, grant.ended_unpaid) == ("expired", False)
    assert mailoutbox == []
    assert "no payment arrived" not in dashboard(client, ada, at=later)


def test_grant_refuses_a_member_who_already_pays(ada, habits):
    GrantFactory(member=ada, product=habits, paid_through=NOW + timedelta(days=5))
    before = everything()

    with pytest.raises(CommandError, match="already has stripe access to habits"):
        run("grant", "ada@x.test", "habits", "--reason", "gift")
    assert everything() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@x.test", "habits", "--reason", "x"], "no member with e-mail nobody@x.test"),
        (["ada@x.test", "nope", "--reason", "x"], "no product with slug nope"),
        (["ada@x.test", "habits"], "a reason is required"),
        (["ada@x.test", "habits", "--reason", "   "], "a reason is required"),
        (["ada@x.test", "habits", "--until", "2026-03-01", "--reason", "x"], "not in the future"),
        (["ada@x.test", "habits", "--until", "someday", "--reason", "x"], "not a date"),
    ],
)
def test_grant_refuses_bad_input_and_changes_nothing(ada, habits, args, message):
    before = everything()
    with pytest.raises(CommandError, match=message):
        run("grant", *args)
    assert everything() == before


def test_extend_by_days_moves_paid_through_and_the_dashboard_date(client, ada, habits):
    grant = GrantFactory(member=ada, product=habits, paid_through=datetime(2026, 3, 20, tzinfo=UTC))

    result = run("extend", "ada@x.test", "habits", "--days", "14", "--reason", "outage")

    grant.refresh_from_db()
    assert grant.paid_through == datetime(2026, 4, 3, tzinfo=UTC)
    assert result["products"][0]["paid_through"] == "2026-04-03T00:00:00+00:00"
    assert "Active, paid through 3 Apr 2026" in dashboard(client, ada)
    assert list(grant.events.values_list("kind", "reason")) == [("extended", "outage")]


def test_extending_twice_with_the_same_reason_extends_once(ada, habits):
    GrantFactory(member=ada, product=habits, paid_through=datetime(2026, 3, 20, tzinfo=UTC))
    run("extend", "ada@x.test", "habits", "--days", "14", "--reason", "outage")
    before = everything()

    again = run("extend", "ada@x.test", "habits", "--days", "14", "--reason", "outage")

    assert again["changed"] is False
    assert everything() == before


def test_extend_to_a_date_reopens_a_lapsed_grant_keeping_its_order_and_source(ada, habits):
    grant = GrantFactory(
        member=ada, product=habits, state="expired", ended_unpaid=True,
        paid_through=datetime(2026, 2, 1, tzinfo=UTC), ended_at=datetime(2026, 2, 4, tzinfo=UTC),
    )  # fmt: skip

    run("extend", "ada@x.test", "habits", "--until", "2026-04-30", "--reason", "goodwill")

    row = access("ada@x.test")["habits"]
    assert (row["state"], row["source"]) == ("active", "stripe")
    assert row["paid_through"] == "2026-04-30T22:00:00+00:00"
    assert grant.events.get().kind == GrantEvent.Kind.EXTENDED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "-3"], "days must be a whole number above 0"),
        (["--days", "0"], "days must be a whole number above 0"),
        ([], "either a number of days or an until-date"),
        (["--days", "3", "--until", "2026-05-01"], "either a number of days or an until-date"),
        (["--until", "2026-03-15"], "extending never shortens access"),
    ],
)
def test_extend_refuses_bad_input_and_changes_nothing(ada, habits, args, message):
    GrantFactory(member=ada, product=habits, paid_through=datetime(2026, 3, 20, tzinfo=UTC))
    before = everything()
    with pytest.raises(CommandError, match=message):
        run("extend", "ada@x.test", "habits", *args, "--reason", "x")
    assert everything() == before


def test_extend_refuses_lifetime_access_and_a_product_never_granted(ada, habits):
    GrantFactory(member=ada, product=habits, paid_through=None)
    other = ProductFactory(slug="other")
    with pytest.raises(SupportError, match="lifetime access to habits"):
        extend_access(member=ada, product=habits, days=3, actor=None, reason="x", now=NOW)
    with pytest.raises(SupportError, match="no access to other to extend"):
        extend_access(member=ada, product=other, days=3, actor=None, reason="x", now=NOW)


def test_the_acting_admin_is_written_to_the_audit_row(ada, habits, creator):
    grant_complimentary(member=ada, product=habits, until=None, actor=creator, reason="gift",
                        now=NOW)  # fmt: skip

    assert access("ada@x.test")["habits"]["history"][0]["actor"] == "creator@example.test"
