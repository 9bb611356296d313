"""The checkout offers in the funnel report (issue 17): one-click upsells, order bumps, coupons.

Each is one aggregate query, whatever the data size. Test mode follows the order the offer
belongs to (``include_test``); the product filter is the product whose checkout or success page
made the offer (for an upsell also the product it offers).

- Upsells: attempts offered on a success page in the range (``UpsellAttempt.offered_at``);
  taken = those whose off-session charge became a paid order (``Order.provider_ref`` is the
  charge's PaymentIntent). A click whose card was declined is not taken.
- Order bumps: paid main orders placed in the range of a product that has an order bump (or
  whose checkout bought one), and how many of them bought the bump (a ``BumpPurchase`` on
  their payment). The bump's own orders are not counted as main orders.
- Coupons: redemptions recorded in the range per currency; ``redemptions`` are the ones counted
  against the coupon's limit, ``over_limit`` the ones paid after the limit was reached (flagged
  apart, see ``offers.services.redeem_coupon``); ``discount_minor`` is everything given off
  (both: the over-limit buyers kept the discount they were shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from billing.models import Order
from offers.models import BumpPurchase, OrderBump, Redemption, UpsellAttempt
from products.models import Product


@dataclass(frozen=True)
class Upsells:
    shown: int = 0
    taken: int = 0
    conversion: Decimal | None = None  # taken over shown, in percent


@dataclass(frozen=True)
class Bumps:
    orders_offering: int = 0  # paid orders of products whose checkout offers a bump
    taken: int = 0
    conversion: Decimal | None = None  # taken over orders_offering, in percent


@dataclass(frozen=True)
class CouponCurrency:
    currency: str
    redemptions: int  # counted against the coupons' limits
    over_limit: int  # paid after the limit was reached: not counted, flagged apart
    discount_minor: int  # given off by all of them


def upsells(
    *, since: datetime, until: datetime, product: Product | None, include_test: bool, conversion
) -> Upsells:
    attempts = UpsellAttempt.objects.filter(offered_at__gte=since, offered_at__lt=until)
    if not include_test:
        attempts = attempts.filter(order__is_test=False)
    if product is not None:
        attempts = attempts.filter(Q(offer__product=product) | Q(offer__price__product=product))
    charged = Order.objects.filter(
        provider="stripe", provider_ref=OuterRef("payment_intent_ref"), amount__gt=0
    ).exclude(status=Order.Status.PENDING)
    counts = attempts.aggregate(
        shown=Count("pk"),
        taken=Count("pk", filter=Q(Exists(charged)) & ~Q(payment_intent_ref="")),
    )
    return Upsells(counts["shown"], counts["taken"], conversion(counts["taken"], counts["shown"]))


def bumps(*, orders, product: Product | None, conversion) -> Bumps:
    """``orders``: the paid orders placed in the range (test mode already decided)."""
    bought = BumpPurchase.objects.filter(payment__order_id=OuterRef("pk"))
    main = orders.exclude(Exists(BumpPurchase.objects.filter(order_id=OuterRef("pk")))).filter(
        Q(Exists(OrderBump.objects.filter(product_id=OuterRef("product_id")))) | Q(Exists(bought))
    )
    if product is not None:
        main = main.filter(product=product)
    counts = main.aggregate(offering=Count("pk"), taken=Count("pk", filter=Q(Exists(bought))))
    return Bumps(
        counts["offering"], counts["taken"], conversion(counts["taken"], counts["offering"])
    )


def coupon_redemptions(
    *, since: datetime, until: datetime, product: Product | None, include_test: bool
) -> list[CouponCurrency]:
    rows = Redemption.objects.filter(redeemed_at__gte=since, redeemed_at__lt=until)
    if not include_test:
        rows = rows.filter(order__is_test=False)
    if product is not None:
        rows = rows.filter(order__product=product)
    rows = (
        rows.values("currency")
        .annotate(
            counted=Count("pk", filter=Q(over_limit=False)),
            over=Count("pk", filter=Q(over_limit=True)),
            discount=Sum("amount"),
        )
        .order_by("currency")
    )
    return [
        CouponCurrency(row["currency"], row["counted"], row["over"], row["discount"])
        for row in rows
    ]
