"""PostgreSQL, real threads: renewals of one order paid at the same moment both reach the
dashboard's paying-orders row. Each transaction's trigger sees only its own new payment, so a
recomputation from its snapshot would drop the other's; widening the row as committed does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from billing.models import Order, PaidOrder, Payment
from tests.conftest import run_concurrently
from tests.factories import PriceFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

JAN = datetime(2026, 1, 10, 9, tzinfo=UTC)


def test_concurrent_payments_of_one_order_all_count(postgres_only):
    price = PriceFactory()
    order = Order.objects.create(
        member=UserFactory(), product=price.product, price=price, provider="stripe",
        provider_ref="o-race", status="paid", amount=price.amount, currency=price.currency,
    )  # fmt: skip

    def pay(month: int) -> None:
        with transaction.atomic():
            Payment.objects.create(
                order=order, provider="stripe", provider_ref=f"p-race-{month}", amount=900,
                currency=price.currency, paid_at=JAN + timedelta(days=30 * month),
            )  # fmt: skip

    errors = run_concurrently(pay, arguments=[(month,) for month in range(6)])

    assert errors == []
    row = PaidOrder.objects.get(order_id=order.pk)
    assert (row.first_paid_at, row.last_paid_at) == (JAN, JAN + timedelta(days=150))


def test_a_corrected_payment_does_not_hide_a_renewal_committed_meanwhile(postgres_only):
    """An update of one payment recomputes its order's row; a renewal of the same order that
    another transaction inserts at that moment is in the row afterwards (found in review: the
    recomputation used to overwrite it with what its own snapshot saw)."""
    import threading
    import time

    from django.db import connection

    price = PriceFactory()
    order = Order.objects.create(
        member=UserFactory(), product=price.product, price=price, provider="stripe",
        provider_ref="o-fix", status="paid", amount=price.amount, currency=price.currency,
    )  # fmt: skip
    trial = Payment.objects.create(
        order=order, provider="stripe", provider_ref="p-trial", amount=0,
        currency=price.currency, paid_at=JAN,
    )  # fmt: skip
    inserted, release = threading.Event(), threading.Event()

    def renew() -> None:
        with transaction.atomic():
            Payment.objects.create(
                order=order, provider="stripe", provider_ref="p-renewal", amount=900,
                currency=price.currency, paid_at=JAN + timedelta(days=30),
            )  # fmt: skip
            inserted.set()
            release.wait(10)
        connection.close()

    def correct() -> None:
        inserted.wait(10)
        Payment.objects.filter(pk=trial.pk).update(amount=900)
        connection.close()

    threads = [threading.Thread(target=renew), threading.Thread(target=correct)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    release.set()
    for thread in threads:
        thread.join(30)

    row = PaidOrder.objects.get(order_id=order.pk)
    assert (row.first_paid_at, row.last_paid_at) == (JAN, JAN + timedelta(days=30))
