"""Processing is provider-generic: Digistore24-style domain events take the same paths.

These call the processing services with the domain events a provider produces (the Digistore24
provider itself is another module), so no payload is involved here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing.models import Order, Payment, Subscription
from billing.providers.base import (
    Buyer,
    CancelledAtPeriodEnd,
    PaymentSucceeded,
    Refunded,
    SubscriptionRenewed,
    SubscriptionResumed,
)
from billing.services import orders, refunds, subscriptions
from members.models import AccessGrant, GrantEvent
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def purchase(**fields) -> PaymentSucceeded:
    defaults = {
        "provider": "digistore24",
        "provider_ref": "DS-1-1",
        "order_ref": "DS-1",
        "occurred_at": NOW,
        "buyer": Buyer(email="Ada@x.test", name="Ada"),
        "price_refs": ("510003",),
        "amount": 2900,
        "currency": "EUR",
        "paid_through": NOW + timedelta(days=30),
        "subscription_ref": "DS-1",
        "is_test": True,
        "invoice_url": "https://www.digistore24.com/invoice/DS-1",
    }
    return PaymentSucceeded(**{**defaults, **fields})


@pytest.fixture
def membership(db, django_capture_on_commit_callbacks):
    product = ProductFactory(
        name="Inner circle", kind="membership", digistore24_product_id="510003"
    )
    with django_capture_on_commit_callbacks(execute=True):
        orders.record_payment_succeeded(event=purchase(), source_event=None, now=NOW)
    return product


def test_digistore24_product_ids_resolve_and_order_carries_test_flag_and_invoice_url(membership):
    order = Order.objects.get()
    assert (order.provider, order.provider_ref, order.product) == (
        "digistore24",
        "DS-1",
        membership,
    )
    assert order.is_test is True
    assert order.invoice_url == "https://www.digistore24.com/invoice/DS-1"
    grant = AccessGrant.objects.get()
    assert (grant.source, grant.is_test, grant.paid_through) == (
        "digistore24",
        True,
        NOW + timedelta(days=30),
    )


def test_unknown_digistore24_product_id_is_named(db):
    with pytest.raises(ValueError, match="unknown Digistore24 product id 999999"):
        orders.record_payment_succeeded(
            event=purchase(price_refs=("999999",)), source_event=None, now=NOW
        )
    assert Order.objects.count() == 0


def test_renewal_extends_and_is_recorded_once(membership):
    renewal = SubscriptionRenewed(
        provider="digistore24",
        provider_ref="DS-1-2",
        subscription_ref="DS-1",
        occurred_at=NOW + timedelta(days=30),
        amount=2900,
        currency="EUR",
        paid_through=NOW + timedelta(days=60),
    )
    orders.record_renewal(event=renewal, source_event=None, now=NOW + timedelta(days=30))
    orders.record_renewal(event=renewal, source_event=None, now=NOW + timedelta(days=30))

    assert AccessGrant.objects.get().paid_through == NOW + timedelta(days=60)
    assert Payment.objects.count() == 2


def test_cancel_and_resume_are_audited_and_keep_access(membership):
    later = NOW + timedelta(days=2)
    cancel = CancelledAtPeriodEnd("digistore24", "DS-1", later, NOW + timedelta(days=30))
    subscriptions.schedule_cancellation(event=cancel, source_event=None, now=later)
    subscriptions.schedule_cancellation(event=cancel, source_event=None, now=later)
    assert Subscription.objects.get().cancel_at_period_end is True

    resumed = SubscriptionResumed("digistore24", "DS-1", later + timedelta(hours=1))
    subscriptions.schedule_cancellation(event=resumed, source_event=None, now=later)

    assert Subscription.objects.get().cancel_at_period_end is False
    assert AccessGrant.objects.get().state == "active"
    assert list(GrantEvent.objects.values_list("kind", flat=True)) == [
        "granted",
        "cancel_scheduled",
        "note",
    ]


def test_refund_matched_by_the_order_reference(membership):
    refund = Refunded(
        provider="digistore24",
        occurred_at=NOW + timedelta(days=1),
        amount_refunded=2900,
        is_full=True,
        payment_ref="DS-1",
    )
    refunds.record_refund(event=refund, source_event=None, now=NOW + timedelta(days=1))

    assert AccessGrant.objects.get().state == "revoked"
    assert Payment.objects.get().status == "refunded"
