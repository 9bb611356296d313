"""Row locks on billing rows. Take them in this order: order, payment, subscription (then grants),
so two workers handling events of one purchase never deadlock."""

from __future__ import annotations

from django.db.models import QuerySet

from billing.models import Order, Payment, ProviderEvent, Subscription


def events_for_update() -> QuerySet[ProviderEvent]:
    return ProviderEvent.objects.select_for_update(of=("self",)).order_by("pk")


def orders_for_update() -> QuerySet[Order]:
    # NO KEY UPDATE: we never change an order's key, and a plain FOR UPDATE would also block the
    # foreign-key checks of rows pointing at the order (a grant handed over to it while another
    # worker refunds it), which deadlocks two orders of one member ending at once.
    return Order.objects.select_for_update(of=("self",), no_key=True).order_by("pk")


def payments_for_update() -> QuerySet[Payment]:
    return Payment.objects.select_for_update(of=("self",)).order_by("pk")


def subscriptions_for_update() -> QuerySet[Subscription]:
    return Subscription.objects.select_for_update(of=("self",)).order_by("pk")
