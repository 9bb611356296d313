"""Row locks on billing rows. Take them in this order: order, payment, subscription (then grants),
so two workers handling events of one purchase never deadlock."""

from __future__ import annotations

from django.db.models import QuerySet

from billing.models import Order, Payment, ProviderEvent, Subscription


def events_for_update() -> QuerySet[ProviderEvent]:
    return ProviderEvent.objects.select_for_update(of=("self",)).order_by("pk")


def orders_for_update() -> QuerySet[Order]:
    return Order.objects.select_for_update(of=("self",)).order_by("pk")


def payments_for_update() -> QuerySet[Payment]:
    return Payment.objects.select_for_update(of=("self",)).order_by("pk")


def subscriptions_for_update() -> QuerySet[Subscription]:
    return Subscription.objects.select_for_update(of=("self",)).order_by("pk")
