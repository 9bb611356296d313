"""Concurrent payments of one coupon on PostgreSQL: never more counted redemptions than its
limit, and one order counted once however often its delivery runs at the same time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing.models import Order
from offers.models import Redemption
from offers.services import redeem_coupon
from tests.conftest import run_concurrently
from tests.factories import ProductFactory, UserFactory
from tests.offers.conftest import make_coupon
from tests.offers.payloads import discounted_session

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def orders(count: int) -> list[Order]:
    product = ProductFactory()
    return [
        Order.objects.create(
            member=UserFactory(),
            product=product,
            provider="stripe",
            provider_ref=f"cs_{number}",
            amount=3920,
            currency="EUR",
        )  # fmt: skip
        for number in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_twenty_payments_at_once_count_exactly_the_limit(postgres_only):
    coupon = make_coupon(max_redemptions=7)
    paid = orders(20)

    errors = run_concurrently(
        lambda order: redeem_coupon(
            coupon=coupon, order=order, amount=980, currency="EUR", now=NOW
        ),
        arguments=[(order,) for order in paid],
    )

    assert errors == []
    assert Redemption.objects.filter(over_limit=False).count() == 7
    assert Redemption.objects.filter(over_limit=True).count() == 13
    assert Redemption.objects.count() == 20  # every paid order is on record


@pytest.mark.django_db(transaction=True)
def test_one_order_redeemed_twenty_times_at_once_is_counted_once(postgres_only):
    coupon = make_coupon(max_redemptions=7)
    (order,) = orders(1)

    errors = run_concurrently(
        lambda: redeem_coupon(coupon=coupon, order=order, amount=980, currency="EUR", now=NOW),
        times=20,
    )

    assert errors == []
    assert Redemption.objects.get().over_limit is False


@pytest.mark.django_db(transaction=True)
def test_twenty_signed_deliveries_at_once_count_exactly_the_limit(
    postgres_only, client, stripe_webhook_secret, course_price
):
    """The same through the webhook: 20 buyers' checkouts completed at once, limit 5."""
    from django.test import Client

    from billing.models import ProviderEvent
    from billing.services.events import apply_provider_event
    from tests.conftest import STRIPE_URL, post_signed

    make_coupon(max_redemptions=5)
    bodies = [discounted_session(email=f"buyer{n}@x.test") for n in range(20)]
    for body in bodies:  # stored (the intake), processed below all at once
        assert post_signed(Client(), STRIPE_URL, body).status_code == 200
    pks = list(ProviderEvent.objects.values_list("pk", flat=True))

    errors = run_concurrently(
        lambda pk: apply_provider_event(event_pk=pk, now=NOW), arguments=[(pk,) for pk in pks]
    )

    assert errors == []
    assert Order.objects.count() == 20
    assert Redemption.objects.filter(over_limit=False).count() == 5
    assert Redemption.objects.filter(over_limit=True).count() == 15
