"""The member's own plan change: the other plans of the product's plan group, and the call to
Stripe that changes the subscription's price.

Access never moves on the click: Stripe answers, and the ``customer.subscription.updated``
that follows moves it (``plan_changes``), whoever changed the price. An upgrade changes the
price at once (Stripe prorates by its default); a downgrade is scheduled for the period end
with a subscription schedule, so the member keeps what they paid for until then. In offline
test mode the signed event goes to our own webhook, as Stripe would send it.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.db.models import Q

from billing import stripe_api
from billing.models import PlanGroup, Subscription
from billing.providers import stripe_test_checkout
from billing.providers.stripe_test_checkout import (
    TestCheckoutUnavailable,
    _envelope,
    _local_id,
    subscription_object,
)
from billing.services.plan_changes import UPGRADE, direction
from billing.services.self_service import BillingUnavailable
from members.models import User
from products.models import Price
from products.sellable import offline_price_ref


class PlanChangeRefused(ValueError):
    """Not a plan this subscription can change to (nothing was sent to Stripe)."""


def plan_choices(*, subscription: Subscription) -> list[Price]:
    """The active recurring prices, in the order's currency, of the published products that
    share a plan group, or a magazine as its tiers, with the subscription's product, except
    the current price."""
    order = subscription.order
    groups = PlanGroup.objects.filter(products=order.product_id)
    prices = (
        Price.objects.filter(
            Q(product__plan_groups__in=groups)
            | Q(product__tier__magazine__tiers__product_id=order.product_id),
            product__is_published=True,
            is_active=True,
            billing_type=Price.BillingType.RECURRING,
            currency__iexact=order.currency,
        )
        .exclude(pk=order.price_id)
        .select_related("product")
        .distinct()
        .order_by("amount", "pk")
    )
    if not stripe_test_checkout.is_available():
        prices = prices.exclude(stripe_price_id=None)
    return list(prices)


def _offline(subscription: Subscription, *, to_price: Price, way: str) -> dict:
    """Offline test mode: the event Stripe would send after the change, signed, to our webhook."""
    obj = subscription_object(subscription, cancel_at_period_end=subscription.cancel_at_period_end)
    if way == UPGRADE:
        obj["items"]["data"][0]["price"] = {"id": offline_price_ref(to_price)}
    else:  # the schedule holds the cheaper price back until the period end
        obj["schedule"] = _local_id("sub_sched")
    status = stripe_test_checkout.deliver(
        _envelope("customer.subscription.updated", obj, created=int(time.time()))
    )
    if status >= 300:
        raise TestCheckoutUnavailable(f"our webhook answered {status}")
    return obj


def change_plan(*, member: User, subscription: Subscription, to_price: Price, now: datetime):
    """Ask Stripe to move ``subscription`` to ``to_price``; returns ``upgrade`` or ``downgrade``.

    Raises ``PlanChangeRefused`` (not the member's, ended, or not one of ``plan_choices``),
    ``BillingUnavailable``, or ``stripe.StripeError`` when Stripe refuses.
    """
    if subscription.member_id != member.pk:
        raise PlanChangeRefused("not the member's subscription")
    if subscription.provider != "stripe" or subscription.status == Subscription.Status.CANCELED:
        raise PlanChangeRefused("only an open Stripe subscription changes plan here")
    if to_price.pk not in {price.pk for price in plan_choices(subscription=subscription)}:
        raise PlanChangeRefused(f"price {to_price.pk} is not a plan this subscription offers")
    way = direction(subscription.order.price, to_price)
    if stripe_api.is_configured():
        if not to_price.stripe_price_id:
            raise PlanChangeRefused(f"price {to_price.pk} has no Stripe price id")
        change = (
            stripe_api.change_price_now if way == UPGRADE else stripe_api.change_price_at_period_end
        )
        change(subscription_ref=subscription.provider_ref, price_ref=to_price.stripe_price_id)
    elif subscription.order.is_test and stripe_test_checkout.is_available():
        _offline(subscription, to_price=to_price, way=way)
    else:
        raise BillingUnavailable("STRIPE_SECRET_KEY is not set")
    return way
