"""Plan changes move access: signed ``customer.subscription.updated`` events in both API shapes
(before and after 2025-03-31 "basil") for an upgrade and a downgrade at the period end; older
and repeated deliveries change nothing twice; audit rows say why."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine

from billing.models import Order
from billing.services.plan_changes import DOWNGRADE, UPGRADE, direction, monthly_amount
from members.access import grant_allows_access
from members.models import AccessGrant, GrantEvent
from products.models import Product
from tests.factories import RecurringPriceFactory
from tests.payloads.stripe import build_event, fixture

pytestmark = pytest.mark.django_db

T0 = 1_780_000_000  # 2026-05-28
DAY = 86400
PERIOD_1 = T0 + 30 * DAY
PERIOD_2 = PERIOD_1 + 30 * DAY
SHAPES = ["basil", "legacy"]


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.fixture
def premium_price(membership_price):
    return RecurringPriceFactory(
        product__name="Premium circle",
        product__slug="premium-circle",
        product__kind=Product.Kind.MEMBERSHIP,
        stripe_price_id="price_premium",
        amount=5900,
        currency="EUR",
    )


def first_invoice(price_id: str, shape: str) -> str:
    return build_event(
        "invoice.paid", price_id=price_id, subscription="sub_1", invoice_id="in_first",
        email="ada@x.test", customer="cus_ada", period_end=PERIOD_1, created=T0, amount=2900,
        shape=shape,
    )  # fmt: skip


def updated(price_id: str, *, created: int, shape: str, period_end: int = PERIOD_1, **extra):
    body = json.loads(
        build_event(
            "customer.subscription.updated",
            subscription="sub_1",
            price_id=price_id,
            created=created,
            period_end=period_end,
            shape=shape,
        )  # fmt: skip
    )
    body["data"]["object"].update(extra)
    return json.dumps(body)


def deliver_at(deliver, body: str, timestamp: int):
    with time_machine.travel(at(timestamp), tick=False):
        return deliver(body)


def grant_of(slug: str) -> AccessGrant:
    return AccessGrant.objects.get(product__slug=slug)


def test_monthly_amount_compares_intervals(membership_price, premium_price):
    yearly = RecurringPriceFactory(
        product=premium_price.product, amount=24000, interval="year", currency="EUR"
    )
    assert monthly_amount(yearly) == 2000
    assert direction(membership_price, premium_price) == UPGRADE
    assert direction(premium_price, yearly) == DOWNGRADE  # 20.00 a month, not 59.00
    assert direction(membership_price, yearly) == DOWNGRADE  # 240 a year is less than 29 × 12


@pytest.mark.parametrize("shape", SHAPES)
def test_upgrade_moves_access_at_once_with_the_same_paid_through(
    deliver, membership_price, premium_price, shape
):
    deliver_at(deliver, first_invoice("price_monthly", shape), T0)
    body = updated("price_premium", created=T0 + 10 * DAY, shape=shape)
    deliver_at(deliver, body, T0 + 10 * DAY)

    old, new = grant_of("inner-circle"), grant_of("premium-circle")
    assert old.state == AccessGrant.State.EXPIRED
    assert not old.ended_unpaid
    assert old.end_reason.startswith("plan change (upgrade, price_monthly → price_premium)")
    assert old.end_reason.endswith("moved to Premium circle")
    assert (new.state, new.paid_through) == (AccessGrant.State.ACTIVE, at(PERIOD_1))
    assert new.order == old.order
    assert grant_allows_access(new, now=at(T0 + 10 * DAY))
    order = Order.objects.get()
    assert (order.product, order.price) == (premium_price.product, premium_price)
    granted = new.events.get(kind=GrantEvent.Kind.GRANTED)
    assert "moved from Inner circle" in granted.reason
    assert granted.source_event.event_type == "customer.subscription.updated"

    # The same delivery again, and a second event with the same view: nothing twice.
    rows = GrantEvent.objects.count()
    deliver_at(deliver, body, T0 + 11 * DAY)
    deliver_at(deliver, updated("price_premium", created=T0 + 12 * DAY, shape=shape), T0 + 12 * DAY)
    assert GrantEvent.objects.count() == rows
    assert grant_of("inner-circle").state == AccessGrant.State.EXPIRED


PENDING = {"pending_update": {"subscription_items": [{"price": {"id": "price_monthly"}}]}}


@pytest.mark.parametrize("held_back", [{"schedule": "sub_sched_1"}, PENDING])
@pytest.mark.parametrize("shape", SHAPES)
def test_downgrade_waits_for_the_period_end_then_moves(
    deliver, membership_price, premium_price, shape, held_back
):
    deliver_at(deliver, first_invoice("price_premium", shape), T0)
    # The member (or the portal) scheduled the downgrade: Stripe keeps the current price on the
    # items until the next phase, and says so with ``schedule`` (or ``pending_update``).
    scheduled = updated("price_premium", created=T0 + 5 * DAY, shape=shape, **held_back)
    deliver_at(deliver, scheduled, T0 + 5 * DAY)
    assert grant_of("premium-circle").state == AccessGrant.State.ACTIVE
    assert not AccessGrant.objects.filter(product__slug="inner-circle").exists()

    # The phase starts at the period end: the items now name the cheaper price.
    released = dict.fromkeys(held_back)
    at_boundary = updated(
        "price_monthly", created=PERIOD_1, shape=shape, period_end=PERIOD_2, **released
    )
    deliver_at(deliver, at_boundary, PERIOD_1)
    old, new = grant_of("premium-circle"), grant_of("inner-circle")
    assert old.state == AccessGrant.State.EXPIRED
    assert old.end_reason.startswith("plan change (downgrade, price_premium → price_monthly)")
    assert new.state == AccessGrant.State.ACTIVE
    assert new.paid_through == at(PERIOD_1)  # the new period's invoice extends it
    deliver_at(
        deliver,
        build_event(
            "invoice.paid",
            price_id="price_monthly",
            subscription="sub_1",
            invoice_id="in_2",
            email="ada@x.test",
            period_end=PERIOD_2,
            created=PERIOD_1 + 60,
            shape=shape,
        ),  # fmt: skip
        PERIOD_1 + 60,
    )
    assert grant_of("inner-circle").paid_through == at(PERIOD_2)
    assert grant_of("premium-circle").state == AccessGrant.State.EXPIRED


@pytest.mark.parametrize("shape", SHAPES)
def test_an_older_view_delivered_late_changes_nothing(
    deliver, membership_price, premium_price, shape
):
    deliver_at(deliver, first_invoice("price_monthly", shape), T0)
    deliver_at(deliver, updated("price_premium", created=T0 + 10 * DAY, shape=shape), T0 + 10 * DAY)
    rows = GrantEvent.objects.count()
    # An update from before the upgrade (still the basic price) arrives after it.
    deliver_at(deliver, updated("price_monthly", created=T0 + 3 * DAY, shape=shape), T0 + 11 * DAY)
    assert GrantEvent.objects.count() == rows
    assert grant_of("premium-circle").state == AccessGrant.State.ACTIVE
    assert grant_of("inner-circle").state == AccessGrant.State.EXPIRED
    assert Order.objects.get().price == premium_price


def test_a_renewal_invoice_naming_the_old_price_does_not_reopen_it(
    deliver, membership_price, premium_price
):
    deliver_at(deliver, first_invoice("price_monthly", "basil"), T0)
    upgrade = updated("price_premium", created=T0 + 10 * DAY, shape="basil")
    deliver_at(deliver, upgrade, T0 + 10 * DAY)
    # The next invoice carries the proration: a credit line for the old price, then the new one.
    body = json.loads(
        build_event(
            "invoice.paid",
            price_id="price_premium",
            subscription="sub_1",
            invoice_id="in_2",
            email="ada@x.test",
            period_end=PERIOD_2,
            created=PERIOD_1 + 60,
        )  # fmt: skip
    )
    lines = body["data"]["object"]["lines"]["data"]
    credit = json.loads(json.dumps(lines[0]))
    credit["pricing"]["price_details"]["price"] = "price_monthly"
    lines.insert(0, credit)
    deliver_at(deliver, json.dumps(body), PERIOD_1 + 60)
    assert grant_of("inner-circle").state == AccessGrant.State.EXPIRED
    assert grant_of("premium-circle").paid_through == at(PERIOD_2)


def test_a_price_unknown_to_the_catalogue_leaves_access_alone(deliver, membership_price):
    deliver_at(deliver, first_invoice("price_monthly", "basil"), T0)
    deliver_at(deliver, updated("price_elsewhere", created=T0 + DAY, shape="basil"), T0 + DAY)
    assert grant_of("inner-circle").state == AccessGrant.State.ACTIVE
    assert Order.objects.get().price == membership_price


@pytest.mark.parametrize(
    ("name", "subscription", "price", "currency", "period_end"),
    [
        ("customer.subscription.updated", "sub_1SAGUABe0ycHroRBHH0HMWOy",
         "price_1SAFNkBe0ycHroRBidLX2jgZ", "brl", 1759005442),
        ("customer.subscription.updated.2020-03-02", "sub_JLEPMp81LApOJl",
         "price_1IDQm5JDPojXS6LNM31hxKzp", "usd", 1621572344),
    ],
)  # fmt: skip
def test_a_real_stripe_update_naming_another_price_moves_access(
    deliver, name, subscription, price, currency, period_end
):
    """Real events (both API shapes; the 2020 one names ``plan`` beside its items): the
    member paid for a cheaper plan; the event says the subscription is on the fixture's price."""
    RecurringPriceFactory(
        product__slug="old-plan", stripe_price_id="price_old", amount=100,
        currency=currency.upper(),
    )  # fmt: skip
    new = RecurringPriceFactory(
        product__slug="new-plan", stripe_price_id=price, amount=200, currency=currency.upper()
    )
    deliver(
        build_event(
            "invoice.paid",
            subscription=subscription,
            price_id="price_old",
            currency=currency,
            amount=100,
            period_end=period_end - 86400,
            created=1_600_000_000,
        )  # fmt: skip
    )
    deliver(fixture(name))
    assert grant_of("old-plan").state == AccessGrant.State.EXPIRED
    assert grant_of("new-plan").state == AccessGrant.State.ACTIVE
    assert Order.objects.get().price == new
    assert grant_of("old-plan").end_reason.startswith(f"plan change (upgrade, price_old → {price})")
