"""Parallel spends of one store-credit balance: the member's row lock lets one through."""

import pytest

from members.credit import SupportError, add_store_credit, credit_balance, use_store_credit
from members.models import StoreCreditEntry
from tests.conftest import run_concurrently
from tests.factories import UserFactory
from tests.support.helpers import NOW


@pytest.mark.django_db(transaction=True)
def test_five_parallel_spends_of_most_of_the_balance_let_exactly_one_through(postgres_only):
    ada = UserFactory(email="ada@x.test")
    add_store_credit(member=ada, amount=1000, currency="EUR", actor=None, reason="gift", now=NOW)

    def spend(key: str) -> None:
        use_store_credit(member=ada, amount=600, currency="EUR", key=key, reason="checkout",
                         now=NOW)  # fmt: skip

    errors = run_concurrently(spend, arguments=[(f"cs_{n}",) for n in range(5)])

    assert len(errors) == 4
    assert all(isinstance(error, SupportError) for error in errors)
    assert credit_balance(member=ada).amount == 400
    assert StoreCreditEntry.objects.filter(kind="use").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_spend_delivered_five_times_at_once_is_recorded_once(postgres_only):
    ada = UserFactory(email="ada@x.test")
    add_store_credit(member=ada, amount=1000, currency="EUR", actor=None, reason="gift", now=NOW)

    errors = run_concurrently(
        lambda: use_store_credit(
            member=ada, amount=300, currency="EUR", key="cs_1", reason="checkout", now=NOW
        )  # fmt: skip
    )

    assert errors == []
    assert credit_balance(member=ada).amount == 700
