"""A repeated support credit is dropped only as a slip (the same command again the same day): the
same goodwill credit a month later, or next year's expiry with last year's reason, is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from members.credit import credit_balance, expire_store_credit
from tests.factories import UserFactory
from tests.support.helpers import NOW, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(email="ada@x.test")


def test_the_same_goodwill_credit_a_month_later_is_credited_again(ada):
    run("credit", "ada@x.test", "10", "EUR", "--reason", "goodwill")
    slip = run(
        "credit", "ada@x.test", "10", "EUR", "--reason", "goodwill", at=NOW + timedelta(minutes=2)
    )

    later = run(
        "credit", "ada@x.test", "10", "EUR", "--reason", "goodwill", at=NOW + timedelta(days=30)
    )

    assert (slip["changed"], later["changed"]) == (False, True)
    assert later["balance"] == "20.00"
    assert credit_balance(member=ada).amount == 2000


def test_next_years_expiry_with_the_same_reason_expires_the_new_balance(ada):
    run("credit", "ada@x.test", "20", "EUR", "--reason", "gift 2026")
    expire_store_credit(member=ada, actor=None, reason="unused for a year", now=NOW)
    run("credit", "ada@x.test", "20", "EUR", "--reason", "gift 2027", at=NOW + timedelta(days=30))

    again = expire_store_credit(
        member=ada, actor=None, reason="unused for a year", now=NOW + timedelta(days=395)
    )

    assert again.changed is True
    assert credit_balance(member=ada).amount == 0


def test_the_same_extension_reason_months_later_extends_again(ada):
    from datetime import UTC, datetime

    from tests.factories import GrantFactory, ProductFactory

    habits = ProductFactory(name="Habits", slug="habits")
    grant = GrantFactory(member=ada, product=habits, paid_through=datetime(2026, 3, 20, tzinfo=UTC))
    run("extend", "ada@x.test", "habits", "--days", "14", "--reason", "outage")

    later = run(
        "extend", "ada@x.test", "habits", "--days", "14", "--reason", "outage",
        at=NOW + timedelta(days=90),
    )  # fmt: skip

    grant.refresh_from_db()
    assert later["changed"] is True
    assert grant.paid_through == NOW + timedelta(days=90 + 14)
