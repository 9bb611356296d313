"""The member's own "Change plan": the other plans of the product's plan group, the exact call
to Stripe's API (an upgrade changes the item's price at once with Stripe's default proration, a
downgrade goes through a subscription schedule at the period end), and access that moves only
when the webhook arrives, never on the click. Offline test mode sends the signed event."""

from __future__ import annotations

import pytest
import time_machine

from billing.models import Order, PlanGroup, Subscription
from members.models import AccessGrant, User
from products.models import Product
from tests.billing.test_self_service import (
    NOW,
    PERIOD_1,
    T0,
    at,
    first_invoice,
    page,
    post,
    ref,
    subscription_json,
)
from tests.billing.test_test_portal import BOUGHT
from tests.factories import RecurringPriceFactory, UserFactory
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(deliver, membership_price) -> User:
    """Ada bought the monthly membership through Stripe (first invoice, real webhook)."""
    with time_machine.travel(at(T0), tick=False):
        deliver(first_invoice())
    return User.objects.get(email="ada@x.test")


@pytest.fixture
def stripe_api(stripe_http, settings, subscriber):
    settings.STRIPE_SECRET_KEY = "sk_test_stubbed"  # after the webhook fixture cleared it
    return stripe_http


@pytest.fixture
def premium_price(membership_price):
    premium = RecurringPriceFactory(
        product__name="Premium circle", product__slug="premium-circle",
        product__kind=Product.Kind.MEMBERSHIP, stripe_price_id="price_premium", amount=5900,
        currency="EUR",
    )  # fmt: skip
    cheap = RecurringPriceFactory(
        product=premium.product, stripe_price_id="price_premium_yearly", amount=24000,
        interval="year", currency="EUR",
    )  # fmt: skip
    group = PlanGroup.objects.create(name="Circles")
    group.products.add(membership_price.product, premium.product)
    return premium, cheap


@pytest.fixture
def member(client, subscriber, premium_price, stripe_api):
    client.force_login(subscriber)
    stripe_api.add("GET", "/v1/subscriptions/sub_1", subscription_json(cancel_at_period_end=False))
    return subscriber


def change(client, price, confirm=True):
    data = {"price": price.pk, "back": "profile"}
    if confirm:
        data["confirm"] = "on"
    return post(client, f"/billing/subscriptions/{ref()}/change-plan/", data)


def test_the_billing_section_offers_change_plan_with_the_other_plans(client, member, premium_price):
    html = page(client, "/members/profile/")
    assert f'href="/billing/subscriptions/{ref()}/change-plan/?back=profile"' in html
    html = page(client, f"/billing/subscriptions/{ref()}/change-plan/?back=profile")
    assert "Premium circle: €59.00 / month" in html
    assert "Premium circle: €240.00 / year" in html
    assert "Inner circle: " not in html  # the current price is not offered


def test_without_a_plan_group_there_is_no_change_plan_button(client, member):
    PlanGroup.objects.all().delete()
    assert "change-plan" not in page(client, "/members/profile/")


def test_an_upgrade_changes_the_price_at_stripe_and_access_waits_for_the_webhook(
    client, member, premium_price, stripe_api, deliver
):
    premium, _yearly = premium_price
    answer = subscription_json(cancel_at_period_end=False)
    answer["items"]["data"][0]["price"]["id"] = "price_premium"
    stripe_api.add("POST", "/v1/subscriptions/sub_1", answer)

    response = change(client, premium)

    assert response.status_code == 302
    update = [r for r in stripe_api.requests if r["method"] == "POST"]
    assert [r["path"] for r in update] == ["/v1/subscriptions/sub_1"]
    assert update[0]["params"] == {"items[0][id]": "si_1", "items[0][price]": "price_premium"}
    assert "proration_behavior" not in update[0]["params"]  # Stripe's default: create_prorations
    # Nothing moved on the click.
    assert AccessGrant.objects.get().product.slug == "inner-circle"
    assert Order.objects.get().price.stripe_price_id == "price_monthly"

    with time_machine.travel(at(NOW + 60), tick=False):
        deliver(
            build_event(
                "customer.subscription.updated",
                subscription="sub_1",
                price_id="price_premium",
                created=NOW + 60,
                period_end=PERIOD_1,
            )  # fmt: skip
        )
    live = AccessGrant.objects.filter(state=AccessGrant.State.ACTIVE)
    assert [grant.product.slug for grant in live] == ["premium-circle"]


def test_a_downgrade_is_scheduled_for_the_period_end(client, member, premium_price, stripe_api):
    _premium, yearly = premium_price
    # From the basic monthly (29/month) to the yearly plan (240/year: 20/month): a downgrade.
    stripe_api.add(
        "POST",
        "/v1/subscription_schedules",
        {
            "id": "sub_sched_1",
            "object": "subscription_schedule",
            "current_phase": {"start_date": T0, "end_date": PERIOD_1},
            "phases": [],
        },
    )
    stripe_api.add(
        "POST",
        "/v1/subscription_schedules/sub_sched_1",
        {"id": "sub_sched_1", "object": "subscription_schedule"},
    )

    response = change(client, yearly)

    assert response.status_code == 302
    calls = [(r["method"], r["path"]) for r in stripe_api.requests]
    assert ("POST", "/v1/subscriptions/sub_1") not in calls  # the price does not change now
    created = next(r for r in stripe_api.requests if r["path"] == "/v1/subscription_schedules")
    assert created["params"] == {"from_subscription": "sub_1"}
    phases = next(
        r for r in stripe_api.requests if r["path"] == "/v1/subscription_schedules/sub_sched_1"
    )["params"]
    assert phases["phases[0][items][0][price]"] == "price_monthly"
    assert phases["phases[0][end_date]"] == str(PERIOD_1)
    assert phases["phases[1][items][0][price]"] == "price_premium_yearly"
    assert phases["end_behavior"] == "release"
    assert AccessGrant.objects.get().product.slug == "inner-circle"


def test_confirmation_is_required_and_changes_nothing(client, member, premium_price, stripe_api):
    premium, _yearly = premium_price
    response = change(client, premium, confirm=False)
    assert response.status_code == 200
    assert "Please confirm the change." in response.content.decode()
    assert not [r for r in stripe_api.requests if r["method"] == "POST"]


def test_a_price_outside_the_group_or_another_members_subscription_is_refused(
    client, member, premium_price, stripe_api
):
    other = RecurringPriceFactory(stripe_price_id="price_other", amount=9900, currency="EUR")
    response = change(client, other)
    assert response.status_code == 200  # not a choice: the form says so
    assert not [r for r in stripe_api.requests if r["method"] == "POST"]
    client.force_login(UserFactory())
    with time_machine.travel(at(NOW), tick=False):
        assert client.get(f"/billing/subscriptions/{ref()}/change-plan/").status_code == 404


def test_offline_test_mode_sends_the_signed_event_and_access_follows(
    client, membership_price, settings, stripe_webhook_secret, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    premium = RecurringPriceFactory(
        product__name="Premium circle", product__slug="premium-circle", amount=5900,
        currency="EUR",
    )  # fmt: skip
    group = PlanGroup.objects.create(name="Circles")
    group.products.add(membership_price.product, premium.product)
    with (
        time_machine.travel(BOUGHT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(
            f"/billing/checkout/test/{membership_price.pk}/",
            {"withdrawal_waiver": "on", "email": "ada@x.test"},
        )
    with (
        time_machine.travel(BOUGHT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.force_login(AccessGrant.objects.get().member)
        response = client.post(
            f"/billing/subscriptions/{Subscription.objects.get().public_ref}/change-plan/",
            {"price": premium.pk, "confirm": "on", "back": "dashboard"},
        )
    assert response.status_code == 302
    live = AccessGrant.objects.filter(state=AccessGrant.State.ACTIVE)
    assert [grant.product.slug for grant in live] == ["premium-circle"]


def test_the_tiers_of_a_magazine_are_plans_without_a_plan_group(
    client, subscriber, membership_price, stripe_api
):
    """Basic and premium tiers of one magazine: the basic member is offered premium without
    the creator building a plan group."""
    from magazine.models import Magazine, Tier

    premium = RecurringPriceFactory(
        product__name="Premium circle", product__slug="premium-circle",
        product__kind=Product.Kind.MEMBERSHIP, stripe_price_id="price_premium", amount=5900,
        currency="EUR",
    )  # fmt: skip
    magazine = Magazine.objects.create(name="Letters", slug="letters")
    Tier.objects.create(magazine=magazine, product=membership_price.product, rank=1)
    Tier.objects.create(magazine=magazine, product=premium.product, rank=2)
    client.force_login(subscriber)
    stripe_api.add("GET", "/v1/subscriptions/sub_1", subscription_json(cancel_at_period_end=False))

    assert f'href="/billing/subscriptions/{ref()}/change-plan/?back=profile"' in page(
        client, "/members/profile/"
    )
    html = page(client, f"/billing/subscriptions/{ref()}/change-plan/?back=profile")
    assert "Premium circle: €59.00 / month" in html
