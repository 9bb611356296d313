"""Read-only billing queries."""

from __future__ import annotations

from django.db.models import Q

from billing.models import CheckoutLink, Customer, Order
from members.access import LIVE_STATES
from members.models import AccessGrant, User
from products.selectors import products_granted_by


def order_for_checkout(*, provider: str, checkout_ref: str) -> Order | None:
    """The order a completed checkout produced (directly, or through its subscription)."""
    if not checkout_ref:
        return None
    linked = CheckoutLink.objects.filter(provider=provider, checkout_ref=checkout_ref).values(
        "order_ref"
    )
    return (
        Order.objects.filter(provider=provider)
        .filter(Q(provider_ref=checkout_ref) | Q(provider_ref__in=linked))
        .first()
    )


def checkout_has_access(*, provider: str, checkout_ref: str) -> bool:
    """True once the checkout's order exists and its buyer holds live access to what it sold."""
    order = order_for_checkout(provider=provider, checkout_ref=checkout_ref)
    if order is None:
        return False
    products = [product.pk for product in products_granted_by(order.product)]
    return AccessGrant.objects.filter(
        member_id=order.member_id, product_id__in=products, state__in=LIVE_STATES
    ).exists()


def stripe_customer_for(*, member: User) -> Customer | None:
    return Customer.objects.filter(member=member, provider="stripe").order_by("-pk").first()
