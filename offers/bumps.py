"""Order bumps: the checkbox in a product's checkout, its Checkout line, and its own order.

How a bump travels (decisions, see README "Order bump"):

- **Offered** with one-off prices only (a payment-mode Checkout Session) in the bump's
  currency. A subscription checkout shows no bump: its first invoice could carry a one-off line,
  but that invoice is paid by ``invoice.paid``, and a line refunded there would need a second
  attribution path; left out on purpose.
- **Checkout**: the bump is a second ``line_items`` entry as ``price_data`` (its product's name,
  its special price); our session ``metadata`` names it (``bump_id``, ``bump_amount``), so the
  webhook knows both lines without asking Stripe for the session's line items (an extra API call
  that could fail or be slow inside the webhook). The amount is always the server's; nothing the
  buyer posts but the bump's id, which must be the bump of the product being bought.
- **Coupons** apply to the whole session, as Stripe applies a promotion code to every line
  (we create no Stripe products, so no ``applies_to``): a percent coupon takes its percent off
  both lines, a fixed one its amount once. The coupon's product list is checked against the main
  product. The bump's share of the discount is proportional to its price (rounded half-up).
- **Fulfilment**: the main order is the session's order as before; the bump becomes an order of
  its own (``<session>:bump``) recorded with the payment (``BumpPurchase``), granting its own
  product; the one invoice shows both lines (and the discount line). The payment is recorded
  once (unique), so the bump is too.
- **Refunds**: Stripe refunds a charge, not a line. A partial refund whose new amount equals
  what the bump line was paid (within one cent of Stripe's rounding of a shared discount) is the
  bump's refund: only the bump's product is revoked, and the credit note names that line. Our
  support refund (member page) refunds that amount of the payment to refund the bump. A full
  refund revokes both orders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from offers.models import BumpPurchase, Coupon, OrderBump
from offers.selectors import amount_off
from products.models import Price
from products.money import format_money

if TYPE_CHECKING:
    from billing.models import Order, Payment
    from billing.providers.base import AppliedDiscount, BumpLine
    from offers.selectors import CheckoutCoupon

REFUND_TOLERANCE = 1  # minor units: Stripe's own rounding of a discount shared by two lines


class BumpRefused(ValueError):
    """The bump cannot be added to this purchase; ``str(error)`` is the buyer's message."""


@dataclass(frozen=True)
class OfferedBump:
    pk: int
    name: str
    amount: int
    currency: str
    headline: str


def _offer(bump: OrderBump) -> OfferedBump:
    name = bump.bump_product.name
    headline = bump.headline or _("Add %(product)s for %(price)s") % {
        "product": name,
        "price": format_money(bump.amount, bump.currency),
    }
    return OfferedBump(bump.pk, name, bump.amount, bump.currency, headline)


def bump_offered_with(price: Price) -> OfferedBump | None:
    """The bump the checkout of this price offers, or None (none, inactive, a subscription,
    another currency, or the bump's product is not published)."""
    if price.is_recurring:
        return None
    bump = (
        OrderBump.objects.filter(product_id=price.product_id, is_active=True)
        .select_related("bump_product")
        .first()
    )
    if bump is None or bump.currency != price.currency.upper():
        return None
    if not getattr(bump.bump_product, "is_published", True):
        return None
    return _offer(bump)


def bump_for_checkout(*, price: Price, bump_id: str) -> OfferedBump | None:
    """The bump the buyer ticked (None when not ticked); ``BumpRefused`` for an id that is not
    this checkout's bump. Only the id is taken from the buyer, never an amount."""
    if not bump_id:
        return None
    offered = bump_offered_with(price)
    if offered is None or str(offered.pk) != str(bump_id).strip():
        raise BumpRefused(
            _("This add-on is not available with %(product)s.") % {"product": price.product.name}
        )
    return offered


def add_bump_line(params: dict, *, bump: OfferedBump) -> None:
    """The bump as the Checkout Session's second line, named in the session's metadata."""
    params["line_items"].append(
        {
            "price_data": {
                "currency": bump.currency.lower(),
                "unit_amount": bump.amount,
                "product_data": {"name": bump.name, "metadata": {"bump_id": str(bump.pk)}},
            },
            "quantity": 1,
        }
    )
    params["metadata"].update({"bump_id": str(bump.pk), "bump_amount": str(bump.amount)})


def coupon_with_bump(
    coupon: CheckoutCoupon | None, *, price: Price, bump: OfferedBump | None
) -> CheckoutCoupon | None:
    """The coupon taking what it takes off both lines, as Stripe computes it for the whole
    session (the offline test checkout sends that figure in its event)."""
    if coupon is None or bump is None:
        return coupon
    row = Coupon.objects.get(pk=coupon.coupon_pk)
    off = amount_off(coupon=row, amount=price.amount + bump.amount, currency=price.currency)
    return coupon if off is None else replace(coupon, amount=off)


def bump_share(*, list_amount: int, discount: AppliedDiscount | None) -> int:
    """The bump line's part of the session's discount, proportional to its price."""
    if discount is None or not discount.subtotal:
        return 0
    share = Decimal(discount.amount) * list_amount / discount.subtotal
    return min(int(share.quantize(1, rounding=ROUND_HALF_UP)), list_amount)


@transaction.atomic
def record_bump_purchase(
    *,
    order: Order,
    payment: Payment,
    line: BumpLine,
    discount: AppliedDiscount | None,
    now: datetime,
) -> BumpPurchase | None:
    """The bump line of a newly recorded payment: its own order, its grant. Called once per
    payment (the payment is unique), before the invoice, which then shows both lines."""
    from billing.models import Order as OrderModel
    from billing.services.coverage import grant_source_for
    from billing.waiver import access_withheld_until
    from members.services import grant_access
    from products.selectors import products_granted_by

    bump = OrderBump.objects.select_related("bump_product").filter(pk=line.bump_id).first()
    if bump is None or bump.product_id != order.product_id:
        raise ValueError(
            f"payment {payment.provider_ref} names order bump {line.bump_id!r}, "
            f"which is not the bump of {order.product}"
        )
    paid = line.amount - bump_share(list_amount=line.amount, discount=discount)
    if paid > payment.amount:
        raise ValueError(f"payment {payment.provider_ref} is less than its bump line")
    bump_order = OrderModel.objects.create(
        member=order.member,
        product=bump.bump_product,
        price=None,
        provider=order.provider,
        provider_ref=f"{payment.provider_ref}:bump",
        status=OrderModel.Status.PAID,
        customer=order.customer,
        amount=paid,
        currency=payment.currency,
        is_test=order.is_test,
        # One checkout, one waiver: the bump shares the main order's.
        withdrawal_waiver_version=order.withdrawal_waiver_version,
        withdrawal_waiver_at=order.withdrawal_waiver_at,
        withdrawal_waiver_ip=order.withdrawal_waiver_ip,
    )
    withheld_until = access_withheld_until(order=bump_order, product=bump.bump_product, now=now)
    if order.amount == payment.amount:  # the main order is what the main line cost
        order.amount = payment.amount - paid
        order.save(update_fields=["amount"])
    purchase = BumpPurchase.objects.create(
        payment=payment,
        order=bump_order,
        bump=bump,
        list_amount=line.amount,
        amount=paid,
        currency=payment.currency,
    )
    for product in products_granted_by(bump.bump_product):
        grant_access(
            member=order.member,
            product=product,
            order=bump_order,
            paid_through=None,
            source=grant_source_for(bump_order),
            now=now,
            is_test=order.is_test,
            reason=f"payment {payment.provider_ref} (order bump)",
            withheld_until=withheld_until,
        )
    return purchase


def bump_line_refunded(*, payment: Payment, amount: int) -> BumpPurchase | None:
    """The bump line this partial refund is for (its amount is what the line was paid), or
    None: any other partial refund is a refund of the payment, not of a line."""
    purchase = (
        BumpPurchase.objects.filter(payment=payment, refunded_at__isnull=True)
        .select_related("order__product")
        .first()
    )
    if purchase is None or abs(amount - purchase.amount) > REFUND_TOLERANCE:
        return None
    return purchase


def credit_line_for(purchase: BumpPurchase | None) -> str:
    """The credit note's line text for a refunded bump line ("" for a payment's refund)."""
    return purchase.order.product.name if purchase is not None else ""


def revoke_bump(*, payment: Payment, reason: str, source_event, at: datetime, now: datetime):
    """End the bump order of this payment (its line refunded, or the whole payment)."""
    from billing.models import Order as OrderModel
    from billing.services.coverage import end_order_grants
    from members.models import AccessGrant

    purchase = BumpPurchase.objects.select_for_update().filter(payment=payment).first()
    if purchase is None or purchase.refunded_at is not None:
        return None
    purchase.refunded_at = at
    purchase.save(update_fields=["refunded_at"])
    bump_order = OrderModel.objects.select_for_update().get(pk=purchase.order_id)
    bump_order.status = OrderModel.Status.REFUNDED
    bump_order.reversed_at = at
    bump_order.save(update_fields=["status", "reversed_at"])
    end_order_grants(
        order=bump_order,
        state=AccessGrant.State.REVOKED,
        reason=reason,
        source_event=source_event,
        now=now,
    )
    return purchase


def _open_bump_orders(order: Order):
    from billing.models import Order as OrderModel

    return OrderModel.objects.select_for_update(of=("self",)).filter(
        bump_purchase__payment__order=order, bump_purchase__refunded_at__isnull=True
    )


def end_bump_grants(*, order: Order, reason: str, source_event, now: datetime) -> None:
    """A dispute (or a full refund) of the payment ends its bump's access too."""
    from billing.services.coverage import end_order_grants
    from members.models import AccessGrant

    for bump_order in _open_bump_orders(order):
        end_order_grants(
            order=bump_order,
            state=AccessGrant.State.REVOKED,
            reason=reason,
            source_event=source_event,
            now=now,
        )


def restore_bump_grants(*, order: Order, source_event, now: datetime) -> None:
    """A dispute won: the bump's product comes back, unless its line was refunded."""
    from billing.services.coverage import grant_source_for
    from members.services import grant_access
    from products.selectors import products_granted_by

    for bump_order in _open_bump_orders(order).select_related("member", "product"):
        for product in products_granted_by(bump_order.product):
            grant_access(
                member=bump_order.member,
                product=product,
                order=bump_order,
                paid_through=None,
                source=grant_source_for(bump_order),
                now=now,
                is_test=bump_order.is_test,
                source_event=source_event,
                reason="dispute won (order bump)",
            )
