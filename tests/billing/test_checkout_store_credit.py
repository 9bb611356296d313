"""Store credit at the next Stripe checkout: a one-off coupon takes it off the price, and the
member's ledger records the use once, when Stripe says the checkout was paid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing.models import Order
from members.credit import add_store_credit, credit_balance
from members.models import StoreCreditEntry
from tests.factories import UserFactory
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
SESSION = {
    "id": "cs_test_credit",
    "object": "checkout.session",
    "mode": "payment",
    "url": "https://checkout.stripe.com/c/pay/cs_test_credit",
}


@pytest.fixture
def ada(client):
    member = UserFactory(email="ada@x.test", name="Ada")
    client.force_login(member)
    return member


def give(member, amount: int, currency: str = "EUR") -> None:
    add_store_credit(
        member=member, amount=amount, currency=currency, actor=None, reason="goodwill", now=NOW
    )


@pytest.fixture
def stripe_checkout(stripe_webhook_secret, stripe_http):
    stripe_http.add("POST", "/v1/coupons", {"id": "co_credit", "object": "coupon"})
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)
    return stripe_http


def sent(fake, path: str) -> list[dict]:
    return [request["params"] for request in fake.requests if request["path"] == path]


def paid_session(session_params: dict, *, amount: int) -> str:
    metadata = {
        key[len("metadata[") : -1]: value
        for key, value in session_params.items()
        if key.startswith("metadata[")
    }
    return build_event(
        "checkout.session.completed",
        session_id="cs_test_credit",
        email="ada@x.test",
        amount=amount,
        payment_intent="pi_credit",
        metadata=metadata,
    )


def test_the_checkout_takes_the_credit_off_with_a_one_off_coupon(
    client, ada, course_price, stripe_checkout
):
    give(ada, 1000)

    response = client.post(f"/billing/checkout/{course_price.pk}/")

    assert response.status_code == 302
    (coupon,) = sent(stripe_checkout, "/v1/coupons")
    key = coupon["metadata[store_credit_key]"]
    assert key.startswith("sc_")
    assert coupon == {
        "amount_off": "1000",
        "currency": "eur",
        "duration": "once",
        "max_redemptions": "1",
        "name": "Store credit",
        "metadata[store_credit]": "1000",
        "metadata[store_credit_key]": key,
        "metadata[store_credit_member]": str(ada.pk),
    }
    (session,) = sent(stripe_checkout, "/v1/checkout/sessions")
    assert session["discounts[0][coupon]"] == "co_credit"
    assert (session["metadata[store_credit]"], session["metadata[store_credit_key]"]) == (
        "1000",
        key,
    )
    # Opening the checkout spends nothing: an abandoned or expired one leaves the balance.
    assert credit_balance(member=ada).amount == 1000


def test_the_paid_webhook_records_the_use_once_and_the_profile_shows_what_is_left(
    client, ada, course_price, stripe_checkout, deliver
):
    give(ada, 6000)
    client.post(f"/billing/checkout/{course_price.pk}/")
    (session,) = sent(stripe_checkout, "/v1/checkout/sessions")
    assert session["metadata[store_credit]"] == "4900"  # at most the price

    body = paid_session(session, amount=0)
    deliver(body)
    deliver(body)

    uses = StoreCreditEntry.objects.filter(kind="use")
    assert list(uses.values_list("amount", "balance_after", "order__provider_ref")) == [
        (4900, 1100, "cs_test_credit")
    ]
    assert Order.objects.get().member == ada
    profile = client.get("/members/profile/").content.decode()
    assert "Your store credit: €11.00" in profile


def test_a_balance_in_another_currency_gives_no_discount(
    client, ada, course_price, stripe_checkout
):
    give(ada, 1000, "USD")

    client.post(f"/billing/checkout/{course_price.pk}/")

    assert sent(stripe_checkout, "/v1/coupons") == []
    (session,) = sent(stripe_checkout, "/v1/checkout/sessions")
    assert not any(key.startswith("discounts") for key in session)
    assert "metadata[store_credit]" not in session


def test_a_checkout_paid_by_someone_else_uses_nothing(client, ada, course_price, deliver):
    give(ada, 1000)
    metadata = {
        "price_id": "price_course",
        "store_credit": "1000",
        "store_credit_key": "sc_forged",
        "store_credit_member": str(ada.pk),
    }

    deliver(
        build_event(
            "checkout.session.completed",
            session_id="cs_other",
            email="bea@x.test",
            amount=3900,
            metadata=metadata,
        )
    )

    assert credit_balance(member=ada).amount == 1000
    assert not StoreCreditEntry.objects.filter(kind="use").exists()


@pytest.mark.parametrize("price_fixture", ["course_price", "membership_price"])
def test_the_offline_test_checkout_applies_the_same_discount(
    client, ada, offline_test_mode, django_capture_on_commit_callbacks, request, price_fixture
):
    price = request.getfixturevalue(price_fixture)
    give(ada, 1000)
    assert "€10.00" in client.get(f"/billing/checkout/test/{price.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/billing/checkout/test/{price.pk}/",
            {"withdrawal_waiver": "on", "email": "ada@x.test"},
        )

    order = Order.objects.get()
    assert order.payments.get().amount == price.amount - 1000
    assert list(StoreCreditEntry.objects.filter(kind="use").values_list("amount")) == [(1000,)]
    assert credit_balance(member=ada).amount == 0
