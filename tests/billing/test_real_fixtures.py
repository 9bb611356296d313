"""Real Stripe events (older and 2025+ shapes) from tests/fixtures/stripe, re-signed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import CheckoutLink, Customer, Order, Payment, ProviderEvent, Subscription
from members.models import AccessGrant, User
from tests.factories import PriceFactory, RecurringPriceFactory, UserFactory
from tests.payloads.stripe import build_event, fixture, fixture_with

pytestmark = pytest.mark.django_db

LEGACY_PRICE = "price_1IDQm5JDPojXS6LNM31hxKzp"
BASIL_PRICE = "price_1SAFNkBe0ycHroRBidLX2jgZ"


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def status_of(body: str) -> str:
    return ProviderEvent.objects.get(event_id=json.loads(body)["id"]).status


@pytest.fixture
def legacy_price(db):
    return RecurringPriceFactory(stripe_price_id=LEGACY_PRICE, amount=0, currency="USD")


def test_legacy_invoice_paid_renews_a_known_customer_without_an_email(deliver, legacy_price):
    member = UserFactory(email="known@x.test")
    Customer.objects.create(
        member=member, provider="stripe", provider_customer_id="cus_JsuO3bmrj0QlAw"
    )
    body = fixture("invoice.paid")

    with time_machine.travel(at(1642649111), tick=False):
        assert deliver(body).status_code == 200

    assert status_of(body) == "processed"
    grant = AccessGrant.objects.get()
    assert (grant.member, grant.product) == (member, legacy_price.product)
    assert grant.paid_through == at(1645323680)  # lines.data[0].period.end
    order = Order.objects.get()
    assert (order.provider_ref, order.currency, order.amount) == ("sub_JsuPyCPhXWfZar", "USD", 0)
    assert Payment.objects.get().provider_ref == "in_1KJqKBJDPojXS6LNJbvLUgEy"


def test_invoice_without_email_asks_stripe_for_the_customer(deliver, legacy_price, stripe_http):
    stripe_http.add(
        "GET",
        "/v1/customers/cus_JsuO3bmrj0QlAw",
        {
            "id": "cus_JsuO3bmrj0QlAw",
            "object": "customer",
            "email": "Grace@x.test",
            "name": "Grace",
        },
    )
    with time_machine.travel(at(1642649111), tick=False):
        deliver(fixture("invoice.paid"))

    assert AccessGrant.objects.get().member == User.objects.get(email="Grace@x.test")
    assert [request["path"] for request in stripe_http.requests] == [
        "/v1/customers/cus_JsuO3bmrj0QlAw"
    ]
    assert stripe_http.requests[0]["headers"]["Authorization"] == "Bearer sk_test_stubbed"


def test_invoice_without_email_and_unknown_customer_fails_and_writes_nothing(
    deliver, legacy_price, mailoutbox
):
    body = fixture("invoice.paid")
    deliver(body)

    event = ProviderEvent.objects.get()
    assert event.status == "failed"
    assert "no buyer e-mail and customer cus_JsuO3bmrj0QlAw is unknown" in event.error
    assert (User.objects.count(), Order.objects.count(), AccessGrant.objects.count()) == (0, 0, 0)
    assert mailoutbox == []


def test_payment_checkout_without_price_metadata_fetches_line_items(deliver, stripe_http):
    price = PriceFactory(stripe_price_id="price_jpy", amount=800, currency="JPY")
    session = "cs_test_a1QFLXZqOWxmolFgTrTbRywllLMKKCXtFVqWqlmjYNvd5A3sF4UztRNdAA"
    stripe_http.add(
        "GET",
        f"/v1/checkout/sessions/{session}/line_items",
        {
            "object": "list",
            "data": [
                {
                    "id": "li_1",
                    "object": "item",
                    "amount_total": 800,
                    "currency": "jpy",
                    "price": {"id": "price_jpy", "object": "price", "unit_amount": 800},
                    "quantity": 1,
                }
            ],
            "has_more": False,
            "url": f"/v1/checkout/sessions/{session}/line_items",
        },
    )

    deliver(fixture("checkout.session.completed.payment"))

    grant = AccessGrant.objects.get()
    assert grant.member.email == "member@example.com"
    assert grant.product == price.product
    order = Order.objects.get()
    assert (order.provider_ref, order.amount, order.currency) == (session, 800, "JPY")
    assert Payment.objects.get().payment_intent_ref == "pi_3Rp92HE2YllEOQrt10Khp5XV"


def test_payment_checkout_without_price_metadata_or_api_key_fails_naming_it(deliver):
    deliver(fixture("checkout.session.completed.payment"))
    event = ProviderEvent.objects.get()
    assert event.status == "failed"
    assert "metadata.price_id is missing and STRIPE_SECRET_KEY is unset" in event.error


def test_payment_checkout_with_price_id_added_needs_no_api(deliver):
    PriceFactory(stripe_price_id="price_jpy", amount=800, currency="JPY")

    def add_price(payload: dict) -> None:
        payload["data"]["object"]["metadata"] = {"price_id": "price_jpy"}

    deliver(fixture_with("checkout.session.completed.payment", add_price))
    assert AccessGrant.objects.get().state == "active"


def test_subscription_checkout_records_the_link_and_waits_for_the_invoice(deliver):
    body = fixture("checkout.session.completed.subscription")
    deliver(body)

    assert status_of(body) == "processed"
    link = CheckoutLink.objects.get()
    assert (link.checkout_ref[:8], link.order_ref) == ("cs_test_", "sub_1RMcdRCMHTTliF5iM812gr0j")
    assert AccessGrant.objects.count() == 0


def test_real_subscription_created_then_deleted(deliver, legacy_price):
    created = fixture("customer.subscription.created")
    deliver(created)
    assert status_of(created) == "processed"  # unknown yet: the first invoice provisions it
    first_invoice = build_event(
        "invoice.paid",
        shape="legacy",
        subscription="sub_JdIzvfy6o5GZRd",
        price_id=LEGACY_PRICE,
        currency="usd",
        amount=0,
        period_end=1625740918,
        created=1623148920,
    )
    with time_machine.travel(at(1623148920), tick=False):
        deliver(first_invoice)
        assert AccessGrant.objects.get().state == "active"

        deliver(fixture("customer.subscription.deleted"))

    grant = AccessGrant.objects.get()
    assert grant.state == "expired"
    assert Subscription.objects.get().status == "canceled"


@pytest.mark.parametrize(
    ("name", "subscription", "price", "currency", "period_end"),
    [
        (
            "customer.subscription.updated",
            "sub_1SAGUABe0ycHroRBHH0HMWOy",
            BASIL_PRICE,
            "brl",
            1759005442,
        ),
        (
            "customer.subscription.updated.2020-03-02",
            "sub_JLEPMp81LApOJl",
            LEGACY_PRICE,
            "usd",
            1621572344,
        ),
    ],
)
def test_real_subscription_updates_in_both_shapes(
    deliver, name, subscription, price, currency, period_end
):
    RecurringPriceFactory(stripe_price_id=price, amount=200, currency=currency.upper())
    deliver(
        build_event(
            "invoice.paid",
            subscription=subscription,
            price_id=price,
            currency=currency,
            amount=200,
            period_end=period_end - 86400,
            created=1_600_000_000,
        )
    )
    body = fixture(name)
    deliver(body)

    assert status_of(body) == "processed"
    recorded = Subscription.objects.get()
    assert recorded.current_period_end == at(period_end)
    assert recorded.provider_updated_at == at(json.loads(body)["created"])
    assert recorded.status == "active"


def test_real_full_refund_ends_a_one_time_purchase(deliver):
    PriceFactory(stripe_price_id="price_usd", amount=2500, currency="USD")
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_usd",
            currency="usd",
            amount=2500,
            payment_intent="pi_3Kl36gJDPojXS6LN02fQVtKR",
        )
    )
    body = fixture("charge.refunded")
    deliver(body)

    assert status_of(body) == "processed"
    assert AccessGrant.objects.get().state == "revoked"
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_refunded) == ("refunded", 2500)


def test_real_dispute_revokes_what_the_payment_bought(deliver):
    PriceFactory(stripe_price_id="price_usd", amount=100, currency="USD")
    deliver(
        build_event(
            "checkout.session.completed",
            price_id="price_usd",
            currency="usd",
            amount=100,
            payment_intent="pi_3RWXidQ8iJWBZFaM0hwfe7LL",
        )
    )
    deliver(fixture("charge.dispute.created"))

    assert AccessGrant.objects.get().state == "revoked"
    assert Payment.objects.get().status == "disputed"


@pytest.mark.parametrize("name", ["invoice.payment_failed", "payment_intent.succeeded"])
def test_real_events_we_do_not_act_on_are_answered_2xx_and_ignored(deliver, name, mailoutbox):
    body = fixture(name)
    assert deliver(body).status_code == 200
    assert status_of(body) == "ignored"
    assert AccessGrant.objects.count() == 0
    assert mailoutbox == []


def test_the_real_events_ship_with_the_repository():
    """The suite runs on any checkout: the fixtures sit beside the tests, each with its source."""
    from django.conf import settings

    from tests.payloads.stripe import FIXTURES

    assert FIXTURES.is_relative_to(settings.BASE_DIR)
    sources = (FIXTURES / "SOURCES.md").read_text()
    listed = set(re.findall(r"^\| `([\w.-]+\.json)` \|", sources, flags=re.MULTILINE))
    assert listed == {path.name for path in FIXTURES.glob("*.json")}
    assert len(listed) == 11
