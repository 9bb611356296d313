"""Store credit: a ledger per member that never goes negative and holds one currency."""

from datetime import timedelta

import pytest
from django.core.management import CommandError

from members.credit import (
    SupportError,
    add_store_credit,
    credit_balance,
    expire_store_credit,
    use_store_credit,
)
from members.models import StoreCreditEntry
from tests.factories import UserFactory
from tests.support.helpers import NOW, everything, run, run_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(email="ada@x.test")


def test_credit_puts_an_amount_on_the_balance_with_an_audit_row(ada):
    text = run_text("credit", "ada@x.test", "20.00", "eur", "--reason", "late delivery")
    result = run("credit", "ada@x.test", "5.50", "EUR", "--reason", "second apology")

    assert text == "ada@x.test: credit 20.00 EUR; balance 20.00 EUR\n"
    assert (result["balance"], result["balance_minor"], result["currency"]) == (
        "25.50",
        2550,
        "EUR",
    )
    assert list(
        StoreCreditEntry.objects.values_list("kind", "amount", "balance_after", "reason")
    ) == [
        ("credit", 2000, 2000, "late delivery"),
        ("credit", 550, 2550, "second apology"),
    ]
    assert credit_balance(member=ada).amount == 2550


def test_the_member_sees_the_balance_on_the_profile_and_support_in_access(client, ada):
    client.force_login(ada)
    assert "Store credit" not in client.get("/members/profile/").content.decode()

    run("credit", "ada@x.test", "20.00", "EUR", "--reason", "late delivery")

    assert "Your store credit: €20.00" in client.get("/members/profile/").content.decode()
    assert run("access", "ada@x.test")["store_credit"] == {
        "balance": "20.00", "balance_minor": 2000, "currency": "EUR",
    }  # fmt: skip


def test_the_same_credit_with_the_same_reason_lands_once(ada):
    run("credit", "ada@x.test", "20", "EUR", "--reason", "late delivery")
    before = everything()

    again = run("credit", "ada@x.test", "20.00", "EUR", "--reason", "late delivery")

    assert again["changed"] is False
    assert everything() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-5", "EUR"], "the amount must be above 0"),
        (["0", "EUR"], "the amount must be above 0"),
        (["1.234", "EUR"], "more than 2 decimals"),
        (["ten", "EUR"], "not an amount"),
        (["5", "EURO"], "not a currency code"),
        (["5", "USD"], "store credit is in EUR"),
    ],
)
def test_credit_refuses_bad_input_and_changes_nothing(ada, args, message):
    run("credit", "ada@x.test", "20", "EUR", "--reason", "first")
    before = everything()
    with pytest.raises(CommandError, match=message):
        run("credit", "ada@x.test", *args, "--reason", "x")
    assert everything() == before


def test_credit_refuses_an_unknown_member_and_a_missing_reason(ada):
    with pytest.raises(CommandError, match="no member with e-mail bob@x.test"):
        run("credit", "bob@x.test", "5", "EUR", "--reason", "x")
    with pytest.raises(CommandError, match="a reason is required"):
        run("credit", "ada@x.test", "5", "EUR")
    assert everything()[2] == []


def test_use_and_expire_never_take_the_balance_below_zero(ada):
    add_store_credit(member=ada, amount=3000, currency="EUR", actor=None, reason="gift", now=NOW)

    used = use_store_credit(member=ada, amount=1000, currency="EUR", key="cs_1", reason="checkout",
                            now=NOW)  # fmt: skip
    repeat = use_store_credit(member=ada, amount=1000, currency="EUR", key="cs_1",
                              reason="checkout", now=NOW)  # fmt: skip
    with pytest.raises(SupportError, match="has only 20.00 EUR"):
        use_store_credit(member=ada, amount=2001, currency="EUR", key="cs_2", reason="checkout",
                         now=NOW)  # fmt: skip
    expired = expire_store_credit(member=ada, actor=None, reason="a year passed",
                                  now=NOW + timedelta(days=365))  # fmt: skip
    nothing = expire_store_credit(member=ada, actor=None, reason="a year passed",
                                  now=NOW + timedelta(days=365))  # fmt: skip

    assert (used.changed, repeat.changed, expired.changed, nothing.changed) == (
        True, False, True, False,
    )  # fmt: skip
    assert list(StoreCreditEntry.objects.values_list("kind", "amount", "balance_after")) == [
        ("credit", 3000, 3000), ("use", 1000, 2000), ("expire", 2000, 0),
    ]  # fmt: skip


def test_an_empty_balance_may_start_again_in_another_currency(ada):
    add_store_credit(member=ada, amount=500, currency="EUR", actor=None, reason="a", now=NOW)
    expire_store_credit(member=ada, actor=None, reason="gone", now=NOW)

    change = add_store_credit(member=ada, amount=700, currency="USD", actor=None, reason="b",
                              now=NOW)  # fmt: skip

    assert change.balance.display == "7.00 USD"


def test_the_database_refuses_a_negative_balance(ada):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(member=ada, kind="use", amount=1, currency="EUR",
                                        balance_after=-1, at=NOW, reason="x", key="k")  # fmt: skip
