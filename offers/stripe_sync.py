"""A coupon's Stripe coupon and promotion code, created or updated when the creator saves it.

Stripe keeps a coupon's discount (percent or amount, currency, duration) and a promotion code's
code, limit and end date immutable; only a coupon's ``name``/``metadata`` and a promotion code's
``active`` can change. So:

- new discount terms: a new Stripe coupon and a new promotion code; the old code is deactivated;
- a new code, limit or end date: a new promotion code on the same Stripe coupon; old one off;
- a new name: ``Coupon.modify(name=…)``; active on/off: ``PromotionCode.modify(active=…)``.

The old promotion code is deactivated before the new one is created (Stripe refuses two active
promotion codes with the same code). A new promotion code's ``max_redemptions`` is what is left
of the limit (our count of paid orders), so Stripe and we agree on the total. Without
``STRIPE_SECRET_KEY`` (the offline test checkout) nothing is asked and nothing is recorded.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from billing import stripe_api
from offers.models import Coupon, StripeCode
from offers.selectors import counted_redemptions, current_stripe_code


def coupon_terms(coupon: Coupon) -> dict:
    """The Stripe coupon's immutable terms."""
    terms: dict = {"duration": coupon.duration}
    if coupon.kind == Coupon.Kind.PERCENT:
        terms["percent_off"] = format(Decimal(str(coupon.percent_off)).normalize(), "f")
    else:
        terms["amounts"] = {row.currency.lower(): row.amount for row in coupon.amounts.all()}
    return terms


def code_terms(coupon: Coupon) -> dict:
    """The promotion code's immutable terms."""
    until = int(coupon.valid_until.timestamp()) if coupon.valid_until else None
    return {"code": coupon.code, "max_redemptions": coupon.max_redemptions, "expires_at": until}


def is_in_sync(coupon: Coupon, stripe_code: StripeCode) -> bool:
    return (
        stripe_code.coupon_terms == coupon_terms(coupon)
        and stripe_code.code_terms == code_terms(coupon)
        and stripe_code.is_active == coupon.is_active
    )


def _metadata(coupon: Coupon) -> dict:
    return {"coupon_pk": str(coupon.pk), "coupon_code": coupon.code}


def _coupon_params(coupon: Coupon, terms: dict) -> dict:
    params = {
        "name": (coupon.name or coupon.code)[:40],
        "duration": terms["duration"],
        "metadata": _metadata(coupon),
    }
    if "percent_off" in terms:
        params["percent_off"] = terms["percent_off"]
        return params
    currencies = sorted(terms["amounts"])
    first, others = currencies[0], currencies[1:]
    params.update(amount_off=terms["amounts"][first], currency=first)
    if others:
        params["currency_options"] = {
            currency: {"amount_off": terms["amounts"][currency]} for currency in others
        }
    return params


def _promotion_code_params(coupon: Coupon, coupon_ref: str, terms: dict, now: datetime) -> dict:
    params: dict = {
        "promotion": {"type": "coupon", "coupon": coupon_ref},
        "code": terms["code"],
        "active": coupon.is_active,
        "metadata": _metadata(coupon),
    }
    if terms["max_redemptions"] is not None:
        left = terms["max_redemptions"] - counted_redemptions(coupon)
        params["max_redemptions"] = max(left, 1)
        params["active"] = coupon.is_active and left > 0
    if terms["expires_at"] is not None:
        if terms["expires_at"] > now.timestamp():
            params["expires_at"] = terms["expires_at"]
        else:
            params["active"] = False  # Stripe refuses an end date in the past
    return params


def sync_coupon(*, coupon: Coupon, now: datetime) -> StripeCode | None:
    """Bring Stripe in line with the coupon as saved; returns the current ``StripeCode``.

    Raises ``stripe.StripeError`` when Stripe refuses (the caller tells the creator; saving
    again retries). Repeating the call with nothing changed asks Stripe nothing. Not atomic on
    purpose: each row is written right after the Stripe call it records, so a failure half-way
    leaves our rows matching what Stripe has (the coupon then shows as not in sync and checkout
    refuses it until a save succeeds).
    """
    if not stripe_api.is_configured():
        return None
    current = current_stripe_code(coupon)
    new_coupon_terms, new_code_terms = coupon_terms(coupon), code_terms(coupon)
    if current is not None and current.coupon_terms == new_coupon_terms:
        if current.code_terms == new_code_terms:
            return _update_in_place(coupon, current)
        coupon_ref = current.coupon_ref
    else:
        coupon_ref = stripe_api.create_coupon(_coupon_params(coupon, new_coupon_terms))
    if current is not None and current.is_active:
        stripe_api.update_promotion_code(current.promotion_code_ref, {"active": False})
        StripeCode.objects.filter(pk=current.pk).update(is_active=False)
    params = _promotion_code_params(coupon, coupon_ref, new_code_terms, now)
    promotion_code_ref = stripe_api.create_promotion_code(params)
    return StripeCode.objects.create(
        coupon=coupon,
        coupon_ref=coupon_ref,
        promotion_code_ref=promotion_code_ref,
        coupon_terms=new_coupon_terms,
        code_terms=new_code_terms,
        name=params_name(coupon),
        is_active=coupon.is_active,
        created_at=now,
    )


def params_name(coupon: Coupon) -> str:
    return (coupon.name or coupon.code)[:40]


def _update_in_place(coupon: Coupon, current: StripeCode) -> StripeCode:
    """Same terms: only the name and the active flag can differ."""
    changed = []
    if current.name != params_name(coupon):
        stripe_api.update_coupon(current.coupon_ref, {"name": params_name(coupon)})
        current.name = params_name(coupon)
        changed.append("name")
    if current.is_active != coupon.is_active:
        stripe_api.update_promotion_code(current.promotion_code_ref, {"active": coupon.is_active})
        current.is_active = coupon.is_active
        changed.append("is_active")
    if changed:
        current.save(update_fields=changed)
    return current
