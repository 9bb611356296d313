"""The withdrawal waiver on PostgreSQL: five workers recording the same late waiver for an
order (a retried ``checkout.session.completed``) store it once and open its grant once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Order
from billing.providers.base import WaiverConsent
from billing.waiver import WAIVER_VERSION, WITHDRAWAL_PERIOD, record_waiver
from members.models import AccessGrant, GrantEvent
from members.services import grant_access
from tests.conftest import run_concurrently
from tests.factories import PriceFactory, UserFactory


def _held_order() -> Order:
    price = PriceFactory(amount=4900)
    member = UserFactory()
    order = Order.objects.create(
        member=member, product=price.product, price=price, provider="stripe",
        provider_ref="cs_race", status=Order.Status.PAID, amount=4900, currency="EUR",
    )  # fmt: skip
    now = timezone.now()
    grant_access(
        member=member, product=price.product, order=order, paid_through=None, source="stripe",
        now=now, withheld_until=now + WITHDRAWAL_PERIOD,
    )  # fmt: skip
    return order


@pytest.mark.django_db(transaction=True)
def test_parallel_late_waivers_are_recorded_once(postgres_only):
    order = _held_order()
    consent = WaiverConsent(version=WAIVER_VERSION, at=timezone.now() + timedelta(minutes=1))
    opened = []

    def record() -> None:
        opened.append(record_waiver(order=order, consent=consent, now=timezone.now()))

    errors = run_concurrently(record)

    assert errors == []
    grant = AccessGrant.objects.get()
    assert sorted(len(pks) for pks in opened) == [0, 0, 0, 0, 1]
    assert grant.withheld_until is None
    assert grant.events.filter(kind=GrantEvent.Kind.NOTE).count() == 1
    assert Order.objects.get().withdrawal_waiver_version == WAIVER_VERSION
