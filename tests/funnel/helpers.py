"""Builders for the funnel tests: paid orders with their payment, at a given moment."""

from __future__ import annotations

from datetime import datetime
from itertools import count

import time_machine

from billing.models import Order, Payment

_refs = count(1)


def paid_order(
    *,
    member,
    product,
    at: datetime,
    amount: int = 4900,
    currency: str = "EUR",
    is_test: bool = False,
    refunded: int = 0,
) -> Order:
    number = next(_refs)
    with time_machine.travel(at, tick=False):  # Order.created_at is auto_now_add
        order = Order.objects.create(
            member=member,
            product=product,
            provider="stripe",
            provider_ref=f"cs_funnel_{number}",
            status=Order.Status.REFUNDED if refunded == amount and amount else Order.Status.PAID,
            amount=amount,
            currency=currency,
            is_test=is_test,
        )
    Payment.objects.create(
        order=order,
        provider="stripe",
        provider_ref=f"in_funnel_{number}",
        amount=amount,
        amount_refunded=refunded,
        currency=currency,
        paid_at=at,
    )
    return order
