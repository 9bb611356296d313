"""Store credit amounts the database cannot hold are refused with a message, not a traceback,
and a balance never grows past what the ledger can store."""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from members.credit import credit_balance
from tests.factories import UserFactory
from tests.support.helpers import everything, run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", ["1e30", "99999999999", "21474836.48"])
def test_a_huge_credit_is_refused_and_changes_nothing(amount):
    UserFactory(email="ada@x.test")
    before = everything()

    with pytest.raises(CommandError, match="too large"):
        run("credit", "ada@x.test", amount, "EUR", "--reason", "typo")

    assert everything() == before


def test_credits_that_would_overflow_the_balance_are_refused():
    ada = UserFactory(email="ada@x.test")
    run("credit", "ada@x.test", "20000000.00", "EUR", "--reason", "first")

    with pytest.raises(CommandError, match="too large"):
        run("credit", "ada@x.test", "2000000.00", "EUR", "--reason", "second")

    assert credit_balance(member=ada).amount == 2_000_000_000
