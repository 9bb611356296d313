"""``manage.py access EMAIL [--json]``: the member's products, their state and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


@pytest.fixture
def purchases(deliver, course_price, membership_price):
    with time_machine.travel(T0, tick=False):
        deliver(
            build_event(
                "checkout.session.completed",
                price_id="price_course",
                email="Ada@x.test",
                session_id="cs_ada",
            )
        )
        deliver(
            build_event(
                "invoice.paid",
                price_id="price_monthly",
                subscription="sub_1",
                email="ada@x.test",
                period_end=int(datetime(2026, 6, 1, 10, tzinfo=UTC).timestamp()),
            )
        )
        deliver(build_event("customer.subscription.deleted", subscription="sub_1"))


def test_access_prints_one_line_per_product(purchases, capsys):
    with time_machine.travel(T0, tick=False):
        call_command("access", "ADA@X.TEST")

    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "Habit course  |  active (test)  |  since 2026-05-01 10:00 UTC  |  until lifetime  |  "
        "source stripe  |  first used never  |  last: granted (payment cs_ada)",
        "Inner circle  |  expired (test)  |  since 2026-05-01 10:00 UTC  |  "
        "until 2026-05-01 10:00 UTC  |  source stripe  |  first used never  |  "
        "last: expired (subscription ended at Stripe)",
    ]


def test_access_json_carries_the_audit_trail(purchases, capsys):
    with time_machine.travel(T0, tick=False):
        call_command("access", "ada@x.test", "--json")

    data = json.loads(capsys.readouterr().out)
    assert data["member"] == "Ada@x.test"
    membership = next(row for row in data["products"] if row["slug"] == "inner-circle")
    assert membership["state"] == "expired"
    assert membership["source"] == "stripe"
    assert membership["is_test"] is True
    assert membership["paid_through"] == "2026-06-01T10:00:00+00:00"
    assert [entry["kind"] for entry in membership["history"]] == ["granted", "expired"]
    assert membership["history"][1]["event"].startswith("evt_")


def test_access_for_an_unknown_address_fails(db):
    with pytest.raises(CommandError, match="no member with e-mail nobody@x.test"):
        call_command("access", "nobody@x.test")
