"""Is a product still paid for by another order? One rule for every way an order stops paying.

A refund, a chargeback and the end of a subscription all end what one order granted. A member
may hold two live purchases of the same product (a lifetime purchase beside a membership, two
subscriptions, a Stripe and a Digistore24 order), so before a grant ends we ask whether another
live paid order still covers its product. If one does, the grant moves to that order: it takes
that order's source, test flag and paid-through date, and an audit row says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, Q

from billing.models import Order, Payment, ProviderEvent, Subscription
from members.access import LIVE_STATES, grace_period
from members.locks import grants_for_update
from members.models import AccessGrant
from members.services import end_grant, hand_over_grant
from products.selectors import products_granted_by

GRANT_SOURCES = {
    "stripe": AccessGrant.Source.STRIPE,
    "digistore24": AccessGrant.Source.DIGISTORE24,
}
GOOD_PAYMENTS = [Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED]


def grant_source_for(order: Order) -> str:
    """The grant source an order's provider stands for."""
    return GRANT_SOURCES.get(order.provider, AccessGrant.Source.STRIPE)


@dataclass(frozen=True)
class Coverage:
    """Another order that pays for a product, and until when (None: for life)."""

    order: Order
    paid_through: datetime | None
    is_past_due: bool = False


def _candidate_orders(*, member_id: int, excluding: Order):
    return (
        Order.objects.filter(member_id=member_id, status=Order.Status.PAID)
        .exclude(pk=excluding.pk)
        .select_related("product")
        .prefetch_related("subscriptions")
        .annotate(
            paid_until=Max("payments__period_end", filter=Q(payments__status__in=GOOD_PAYMENTS)),
            last_good_payment=Max(
                "payments__paid_at", filter=Q(payments__status__in=GOOD_PAYMENTS)
            ),
        )
        .order_by("pk")
    )


def covering_order(*, grant: AccessGrant, excluding: Order, now: datetime) -> Coverage | None:
    """Another live paid order of the grant's member that covers its product, or None.

    Live: the order is paid, holds a payment that stands (not refunded, disputed or charged
    back), and is either a one-off purchase (lifetime; preferred) or a subscription that has not
    ended and whose paid period plus grace has not run out (the one paid furthest ahead wins).
    """
    best: Coverage | None = None
    for candidate in _candidate_orders(member_id=grant.member_id, excluding=excluding):
        if candidate.last_good_payment is None:
            continue
        if grant.product_id not in {
            product.pk for product in products_granted_by(candidate.product)
        }:
            continue
        subscriptions = list(candidate.subscriptions.all())
        if not subscriptions:
            return Coverage(order=candidate, paid_through=None)
        live = [sub for sub in subscriptions if sub.status != Subscription.Status.CANCELED]
        paid_until = candidate.paid_until
        if not live or paid_until is None or paid_until + grace_period() < now:
            continue
        if best is None or paid_until > best.paid_through:
            is_past_due = any(sub.status == Subscription.Status.PAST_DUE for sub in live)
            best = Coverage(order=candidate, paid_through=paid_until, is_past_due=is_past_due)
    return best


def _describe(order: Order) -> str:
    mode = "test" if order.is_test else "live"
    return f"order {order.provider_ref} ({order.provider}, {mode})"


def end_order_grants(
    *,
    order: Order,
    state: str,
    reason: str,
    source_event: ProviderEvent | None,
    now: datetime,
    unpaid_if_in_grace: bool = False,
) -> None:
    """End what ``order`` granted (``expired`` or ``revoked``), product by product, unless
    another live paid order still covers the product: then the grant moves to that order.

    The member's live grants are locked first (pk order) and only then is ownership read: two
    of the member's orders ending at once (refunds of both purchases of one product) take turns,
    and the second sees the grant the first handed to it, and that the first order no longer
    pays, so the grant ends instead of moving to an order that was just refunded.
    """
    locked = grants_for_update().filter(member_id=order.member_id, state__in=LIVE_STATES)
    grants = [grant for grant in locked if grant.order_id == order.pk]
    for grant in grants:
        coverage = covering_order(grant=grant, excluding=order, now=now)
        if coverage is not None:
            hand_over_grant(
                grant_pk=grant.pk,
                order=coverage.order,
                paid_through=coverage.paid_through,
                source=grant_source_for(coverage.order),
                restore=not coverage.is_past_due,
                now=now,
                reason=f"{reason}; access continues, paid by {_describe(coverage.order)}",
                source_event=source_event,
            )
            continue
        end_grant(
            grant_pk=grant.pk,
            state=state,
            now=now,
            reason=reason,
            source_event=source_event,
            unpaid_if_in_grace=unpaid_if_in_grace,
        )
