"""Reading coupons: is a code usable for this price now, and what does it take off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from membership_site.text import clean_text
from offers.models import Coupon, StripeCode
from products.models import Price

CODE_MAX_LENGTH = 40
LOCAL_PREFIX = "test_local"


class CouponRefused(ValueError):
    """The code cannot be used for this purchase; ``str(error)`` is the buyer's message."""


@dataclass(frozen=True)
class CheckoutCoupon:
    """A valid coupon for one price: what the Checkout Session (or the test checkout) needs."""

    coupon_pk: int
    code: str
    label: str
    amount: int  # taken off this price's first payment, minor units
    duration: str
    coupon_ref: str
    promotion_code_ref: str


def normalize_code(code: str) -> str:
    # NUL cannot be compared by PostgreSQL (a 500): it becomes U+FFFD, which no code contains.
    return clean_text((code or "").strip().upper()[:CODE_MAX_LENGTH])


def counted_redemptions(coupon: Coupon) -> int:
    return coupon.redemptions.filter(over_limit=False).count()


def amount_off(*, coupon: Coupon, amount: int, currency: str) -> int | None:
    """What the coupon takes off ``amount`` (minor units; never more than the amount); None
    when a fixed coupon has no amount in this currency. Percent: rounded half-up, as Stripe."""
    if coupon.kind == Coupon.Kind.PERCENT:
        off = (Decimal(amount) * coupon.percent_off / 100).quantize(1, rounding=ROUND_HALF_UP)
        return min(int(off), amount)
    fixed = {row.currency: row.amount for row in coupon.amounts.all()}.get(currency.upper())
    return None if fixed is None else min(fixed, amount)


def current_stripe_code(coupon: Coupon) -> StripeCode | None:
    return coupon.stripe_codes.order_by("-pk").first()


def _local(coupon: Coupon) -> tuple[str, str]:
    """Ids for the offline test checkout, shaped like Stripe's."""
    return f"coupon_{LOCAL_PREFIX}_{coupon.pk}", f"promo_{LOCAL_PREFIX}_{coupon.pk}"


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _check_dates(coupon: Coupon, now: datetime) -> None:
    if coupon.valid_from and now < coupon.valid_from:
        raise CouponRefused(
            _("The code %(code)s can be used from %(date)s.")
            % {"code": coupon.code, "date": _when(coupon.valid_from)}
        )
    if coupon.valid_until and now >= coupon.valid_until:
        raise CouponRefused(
            _("The code %(code)s expired on %(date)s.")
            % {"code": coupon.code, "date": _when(coupon.valid_until)}
        )


def _check_fits(coupon: Coupon, price: Price) -> int:
    """The amount off this price, or the reason the coupon does not fit it."""
    products = list(coupon.products.all())
    if products and price.product not in products:
        raise CouponRefused(
            _("The code %(code)s does not apply to %(product)s.")
            % {"code": coupon.code, "product": price.product.name}
        )
    if price.trial_days and coupon.duration == Coupon.Duration.ONCE:
        raise CouponRefused(
            _("The code %(code)s cannot be combined with a free trial.") % {"code": coupon.code}
        )
    off = amount_off(coupon=coupon, amount=price.amount, currency=price.currency)
    if off is None:
        raise CouponRefused(
            _("The code %(code)s cannot be used for payments in %(currency)s.")
            % {"code": coupon.code, "currency": price.currency.upper()}
        )
    return off


def coupon_for_checkout(
    *, code: str, price: Price, now: datetime, needs_stripe: bool
) -> CheckoutCoupon:
    """The coupon for this purchase, or ``CouponRefused`` with the buyer's message.

    Checked in this order: known and active, dates, limit, product, trial, currency. With
    ``needs_stripe`` (a real Checkout Session) the coupon must have a Stripe promotion code made
    for its current terms. Nothing is written.
    """
    normalized = normalize_code(code)
    coupon = Coupon.objects.filter(code__iexact=normalized, is_active=True).first()
    if not normalized or coupon is None:
        raise CouponRefused(_("The code %(code)s is not valid.") % {"code": normalized})
    _check_dates(coupon, now)
    if coupon.max_redemptions is not None and counted_redemptions(coupon) >= coupon.max_redemptions:
        raise CouponRefused(_("The code %(code)s has been used up.") % {"code": coupon.code})
    off = _check_fits(coupon, price)
    coupon_ref, promotion_code_ref = _local(coupon)
    if needs_stripe:
        from offers.stripe_sync import is_in_sync

        stripe_code = current_stripe_code(coupon)
        if stripe_code is None or not is_in_sync(coupon, stripe_code):
            raise CouponRefused(
                _("The code %(code)s cannot be used right now. Please try again later.")
                % {"code": coupon.code}
            )
        coupon_ref, promotion_code_ref = stripe_code.coupon_ref, stripe_code.promotion_code_ref
    return CheckoutCoupon(
        coupon_pk=coupon.pk,
        code=coupon.code,
        label=coupon.name or coupon.code,
        amount=off,
        duration=coupon.duration,
        coupon_ref=coupon_ref,
        promotion_code_ref=promotion_code_ref,
    )
