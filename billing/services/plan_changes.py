"""Plan changes: the member's access follows the product of the subscription's current price.

Whatever changed the price (the member's own "Change plan", Stripe's customer portal, the API,
support in the Dashboard), ``customer.subscription.updated`` names the subscription's current
price. When it names another product than the order's, the order moves to the new price, the
old product's grant ends with an audit row saying where the member moved (not a refund, not a
lapse), and the new product is granted with the same paid-through date.

Upgrade or downgrade (the price per month, ``monthly_amount``) only labels the audit row here:
a downgrade "at the period end" is held back by Stripe itself (a subscription schedule, or a
``pending_update``), so the subscription's price only changes when the new phase starts, and
the event that says so is when access moves. Our code never computes proration.

Digistore24 reports an upgrade as a new order naming the order it replaces
(``upgraded_order_id``); ``replace_upgraded_order`` ends the old order's access the same way.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from billing.models import Order, ProviderEvent, Subscription
from billing.services.coverage import covering_order, grant_source_for
from members.access import LIVE_STATES
from members.locks import grants_for_update
from members.models import AccessGrant, GrantEvent
from members.services import end_grant, grant_access, hand_over_grant, record_grant_event
from products.models import Price, Product
from products.selectors import products_granted_by

# Months per billing interval, to compare prices billed at different intervals.
MONTHS_PER_INTERVAL = {
    Price.Interval.DAY: Decimal(12) / Decimal(365),
    Price.Interval.WEEK: Decimal(12) / Decimal(52),
    Price.Interval.MONTH: Decimal(1),
    Price.Interval.YEAR: Decimal(12),
}
UPGRADE = "upgrade"
DOWNGRADE = "downgrade"


def monthly_amount(price: Price) -> Decimal:
    """The price per month in minor units (a one-off price counts its whole amount)."""
    months = MONTHS_PER_INTERVAL.get(price.interval)
    if not price.is_recurring or months is None:
        return Decimal(price.amount)
    return Decimal(price.amount) / (months * max(price.interval_count, 1))


def direction(old: Price | None, new: Price) -> str:
    """``upgrade`` if the new price costs at least as much per month, else ``downgrade``."""
    if old is None or old.currency.upper() != new.currency.upper():
        return UPGRADE
    return UPGRADE if monthly_amount(new) >= monthly_amount(old) else DOWNGRADE


def _describe(order: Order) -> str:
    return f"order {order.provider_ref} ({order.provider})"


def move_access(
    *,
    order: Order,
    old_product: Product,
    new_product: Product,
    reason: str,
    paid_through: datetime | None,
    source_event: ProviderEvent | None,
    now: datetime,
    new_order: Order | None = None,
) -> None:
    """End what ``order`` granted of ``old_product`` and grant ``new_product`` on
    ``new_order`` (default: the same order) with the old grant's paid-through date
    (``paid_through`` if the order had no live grant of it).

    Products in both (a bundle that shares one) keep their grant. An old product that another
    live paid order still covers moves to that order instead of ending (``coverage``).
    """
    target = new_order or order
    old = {product.pk: product for product in products_granted_by(old_product)}
    new = {product.pk: product for product in products_granted_by(new_product)}
    locked = grants_for_update().filter(member_id=order.member_id, state__in=LIVE_STATES)
    grants = [grant for grant in locked if grant.order_id == order.pk and grant.product_id in old]
    if grants:  # the same paid-through as the old access (None: it was for life)
        known = [grant.paid_through for grant in grants]
        paid_through = None if None in known else max(known)
    for product in new.values():
        grant_access(
            member=order.member, product=product, order=target, paid_through=paid_through,
            source=grant_source_for(target), now=now, is_test=target.is_test,
            source_event=source_event, reason=f"{reason}: moved from {old_product.name}",
        )  # fmt: skip
    for grant in grants:
        if grant.product_id in new:
            continue
        moved = f"{reason}: moved to {new_product.name}"
        coverage = covering_order(grant=grant, excluding=order, now=now)
        if coverage is not None and coverage.order.pk != target.pk:
            hand_over_grant(
                grant_pk=grant.pk, order=coverage.order, paid_through=coverage.paid_through,
                source=grant_source_for(coverage.order), restore=not coverage.is_past_due,
                now=now, reason=f"{moved}; access continues, paid by {_describe(coverage.order)}",
                source_event=source_event,
            )  # fmt: skip
            continue
        end_grant(
            grant_pk=grant.pk, state=AccessGrant.State.EXPIRED, now=now, reason=moved,
            source_event=source_event,
        )  # fmt: skip


def _price_for(ref: str) -> Price | None:
    from billing.services.catalog import _stripe_prices

    return _stripe_prices((ref,)).get(ref)


def apply_price_change(
    *,
    subscription: Subscription,
    order: Order,
    price_refs: tuple[str, ...],
    source_event: ProviderEvent | None,
    now: datetime,
) -> str:
    """Follow the subscription's current price (its first item); "" if nothing changed.

    Call with the order and the subscription locked (in that order) and the event known to be
    newer than the state applied, so a repeated or older delivery changes nothing twice.
    """
    if not price_refs:
        return ""
    new_price = _price_for(price_refs[0])
    if new_price is None:
        return f"price {price_refs[0]} is not in the catalogue: access unchanged"
    if order.price_id == new_price.pk:
        return ""
    old_price, old_product = order.price, order.product
    way = direction(old_price, new_price)
    order.price = new_price
    order.product = new_price.product
    order.save(update_fields=["price", "product"])
    old_label = old_price.stripe_price_id if old_price else "-"
    reason = f"plan change ({way}, {old_label} → {price_refs[0]})"
    if new_price.product_id == old_product.pk:
        for grant in AccessGrant.objects.filter(order=order, state__in=LIVE_STATES):
            record_grant_event(
                grant=grant, kind=GrantEvent.Kind.PLAN_CHANGED, now=now,
                reason=f"{reason}: same product, access unchanged", source_event=source_event,
            )  # fmt: skip
        return ""
    move_access(
        order=order, old_product=old_product, new_product=new_price.product, reason=reason,
        paid_through=subscription.current_period_end, source_event=source_event, now=now,
    )  # fmt: skip
    return ""


def replace_upgraded_order(
    *, order: Order, upgraded_order_ref: str, source_event: ProviderEvent | None, now: datetime
) -> str:
    """A Digistore24 upgrade: ``order`` replaces the member's order ``upgraded_order_ref``; the
    old order's access ends (audit row: upgraded), the new order's was granted by its payment.
    Nothing happens twice: an old grant that already ended is left alone."""
    if upgraded_order_ref.endswith(":"):
        match = {"provider_ref__startswith": upgraded_order_ref}
    else:
        match = {"provider_ref": upgraded_order_ref}
    old_order = (
        Order.objects.select_related("product")
        .filter(provider=order.provider, **match)
        .exclude(pk=order.pk)
        .filter(member_id=order.member_id)
        .order_by("pk")
    )
    notes = []
    for old in old_order:
        reason = f"upgraded: replaced by {_describe(order)}"
        new = {product.pk for product in products_granted_by(order.product)}
        for grant in (
            grants_for_update()
            .filter(order_id=old.pk, state__in=LIVE_STATES)
            .exclude(product_id__in=new)
        ):
            end_grant(
                grant_pk=grant.pk, state=AccessGrant.State.EXPIRED, now=now,
                reason=f"{reason}: moved to {order.product.name}", source_event=source_event,
            )  # fmt: skip
        notes.append(old.provider_ref)
    if not notes:
        return f"upgraded order {upgraded_order_ref} is not recorded: nothing to replace"
    return ""
