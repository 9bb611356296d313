"""The paying-orders table the dashboard counts from (``PaidOrder``) follows every write to
the payments, whichever way it is made: save, bulk_create, update(), delete and raw SQL. A row
left behind would show a creator orders, buyers or new customers that are not there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from billing.models import Order, PaidOrder, Payment
from tests.factories import PriceFactory, UserFactory

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 10, 9, tzinfo=UTC)
_refs = iter(range(1, 10**6))


def _order(*, currency="EUR", is_test=False) -> Order:
    price = PriceFactory(currency=currency)
    n = next(_refs)
    return Order.objects.create(
        member=UserFactory(), product=price.product, price=price, provider="digistore24",
        provider_ref=f"o{n}", status="paid", amount=price.amount, currency=currency,
        is_test=is_test,
    )  # fmt: skip


def _payment(order, *, at, amount=4900, save=True) -> Payment:
    payment = Payment(
        order=order, provider=order.provider, provider_ref=f"p{next(_refs)}", amount=amount,
        currency=order.currency, paid_at=at,
    )  # fmt: skip
    if save:
        payment.save()
    return payment


def _span(order) -> tuple | None:
    row = PaidOrder.objects.filter(order_id=order.pk).first()
    return row and (row.first_paid_at, row.last_paid_at)


def test_each_payment_widens_its_orders_span_and_copies_who_bought_what():
    order = _order(currency="USD", is_test=True)
    _payment(order, at=JAN + timedelta(days=31))
    _payment(order, at=JAN)
    _payment(order, at=JAN + timedelta(days=62))

    row = PaidOrder.objects.get(order_id=order.pk)
    assert (row.first_paid_at, row.last_paid_at) == (JAN, JAN + timedelta(days=62))
    assert (row.member_id, row.product_id) == (order.member_id, order.product_id)
    assert (row.provider, row.currency, row.is_test) == ("digistore24", "USD", True)


def test_a_zero_amount_trial_start_is_not_a_paying_order():
    order = _order()
    _payment(order, at=JAN, amount=0)

    assert _span(order) is None

    _payment(order, at=JAN + timedelta(days=14))

    assert _span(order) == (JAN + timedelta(days=14),) * 2


def test_bulk_created_payments_of_several_orders_are_each_counted():
    first, second = _order(), _order()
    payments = [_payment(first, at=JAN + timedelta(days=d), save=False) for d in (0, 30, 60)]
    payments += [_payment(second, at=JAN + timedelta(days=5), save=False)]
    for payment in payments:
        payment.copy_order_fields()
    Payment.objects.bulk_create(payments)

    assert _span(first) == (JAN, JAN + timedelta(days=60))
    assert _span(second) == (JAN + timedelta(days=5),) * 2


def test_moving_a_payment_or_zeroing_it_recomputes_the_span():
    order = _order()
    early = _payment(order, at=JAN)
    late = _payment(order, at=JAN + timedelta(days=90))

    Payment.objects.filter(pk=late.pk).update(paid_at=JAN + timedelta(days=45))
    assert _span(order) == (JAN, JAN + timedelta(days=45))

    Payment.objects.filter(pk=early.pk).update(amount=0)
    assert _span(order) == (JAN + timedelta(days=45),) * 2

    Payment.objects.filter(pk=late.pk).update(amount=0)
    assert _span(order) is None


def test_a_refund_on_the_payment_leaves_the_span_alone():
    order = _order()
    payment = _payment(order, at=JAN)
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=4900, status="refunded")

    assert _span(order) == (JAN, JAN)


def test_a_payment_moved_to_another_order_leaves_both_orders_right():
    first, second = _order(), _order()
    _payment(first, at=JAN)
    moved = _payment(first, at=JAN + timedelta(days=30))

    Payment.objects.filter(pk=moved.pk).update(order=second)

    assert _span(first) == (JAN, JAN)
    assert _span(second) == (JAN + timedelta(days=30),) * 2


def test_deleting_payments_and_raw_sql_inserts_are_followed():
    order = _order()
    _payment(order, at=JAN)
    gone = _payment(order, at=JAN + timedelta(days=30))
    gone.delete()
    assert _span(order) == (JAN, JAN)

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_payment (order_id, member_id, product_id, is_test, provider, "
            "provider_ref, payment_intent_ref, charge_ref, amount, amount_refunded, currency, "
            "status, paid_at, created_at) VALUES "
            "(%s, %s, %s, %s, 'digistore24', 'raw-1', '', '', 100, 0, 'EUR', 'succeeded', %s, %s)",
            [order.pk, order.member_id, order.product_id, False, JAN + timedelta(days=3), JAN],
        )
    assert _span(order) == (JAN, JAN + timedelta(days=3))

    Payment.objects.filter(order=order).delete()
    assert _span(order) is None


def test_the_migration_fills_the_table_from_the_payments_already_there():
    """billing 0015 fills the table from existing payments with the same grouping the
    triggers use (run here on a table emptied after the payments were written)."""
    from importlib import import_module

    migration = import_module("billing.migrations.0015_paid_orders")
    subscription, trial_only = _order(currency="USD"), _order()
    for days in (0, 30, 60):
        _payment(subscription, at=JAN + timedelta(days=days))
    _payment(trial_only, at=JAN, amount=0)
    expected = list(PaidOrder.objects.values_list())
    PaidOrder.objects.all().delete()

    with connection.cursor() as cursor:
        cursor.execute(migration.backfill(connection.vendor))

    assert list(PaidOrder.objects.values_list()) == expected
    assert _span(subscription) == (JAN, JAN + timedelta(days=60))
    assert _span(trial_only) is None
