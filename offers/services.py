"""Recording what coupons gave: the payment's discount (its invoice line) and the redemption.

Called by billing inside the transaction that records a paid payment, so the discount, the
redemption, the order and the invoice exist together or not at all.

Redemptions are counted from the paid webhook, once per order: the first payment that carries
the coupon (``checkout.session.completed`` of a one-off purchase, the first ``invoice.paid`` of a
subscription) records it; a "forever" coupon's renewals are discounted on their invoices but
are the same redemption (``Redemption.order`` is unique), as Stripe counts a promotion code once
per subscription too.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from offers.models import Coupon, PaymentDiscount, Redemption, StripeCode
from offers.selectors import LOCAL_PREFIX, normalize_code

if TYPE_CHECKING:
    from billing.models import Order, Payment
    from billing.providers.base import AppliedDiscount


def coupon_for_discount(discount: AppliedDiscount) -> Coupon | None:
    """Our coupon behind a provider's discount: by the code our checkout put in the metadata,
    else by the Stripe promotion code or coupon (a Payment Link, an older code); None if the
    discount is none of ours (a coupon made in Stripe's dashboard)."""
    if discount.code:
        coupon = Coupon.objects.filter(code__iexact=normalize_code(discount.code)).first()
        if coupon is not None:
            return coupon
    for field, ref in (
        ("promotion_code_ref", discount.promotion_code_ref),
        ("coupon_ref", discount.coupon_ref),
    ):
        if ref and LOCAL_PREFIX not in ref:
            row = StripeCode.objects.filter(**{field: ref}).select_related("coupon").first()
            if row is not None:
                return row.coupon
    return None


@transaction.atomic
def record_payment_discount(
    *, order: Order, payment: Payment, discount: AppliedDiscount, now: datetime
) -> PaymentDiscount:
    """The payment's discount once (unique payment), and the order's redemption once."""
    coupon = coupon_for_discount(discount)
    payment_discount, _created = PaymentDiscount.objects.get_or_create(
        payment=payment,
        defaults={
            "coupon": coupon,
            "code": coupon.code if coupon else normalize_code(discount.code),
            "subtotal": discount.subtotal,
            "amount": discount.amount,
            "coupon_ref": discount.coupon_ref[:255],
            "promotion_code_ref": discount.promotion_code_ref[:255],
        },
    )
    if coupon is not None:
        redeem_coupon(
            coupon=coupon, order=order, amount=discount.amount, currency=payment.currency, now=now
        )
    return payment_discount


@transaction.atomic
def redeem_coupon(
    *, coupon: Coupon, order: Order, amount: int, currency: str, now: datetime
) -> Redemption:
    """Count the coupon for this order, once; never more counted redemptions than the limit.

    The coupon row is locked, so concurrent payments are counted one after the other. An order
    paid after the limit was reached (it passed the check at checkout, the last redemptions
    were paid before it) is recorded with ``over_limit`` set, not counted: the buyer paid the
    price Stripe showed them, so their purchase stands, and the admin lists it for the creator.
    Stripe itself stops the promotion code at its ``max_redemptions``, so this is the rare race.
    """
    existing = Redemption.objects.filter(order=order).first()
    if existing is not None:
        return existing
    locked = Coupon.objects.select_for_update().get(pk=coupon.pk)
    counted = Redemption.objects.filter(coupon=locked, over_limit=False).count()
    over_limit = locked.max_redemptions is not None and counted >= locked.max_redemptions
    try:
        with transaction.atomic():
            return Redemption.objects.create(
                coupon=locked,
                order=order,
                member_id=order.member_id,
                amount=amount,
                currency=currency.upper(),
                over_limit=over_limit,
                redeemed_at=now,
            )
    except IntegrityError:  # the same order, recorded by a concurrent delivery
        return Redemption.objects.get(order=order)
