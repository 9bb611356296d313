"""Signed-event bodies with a coupon's discount, in the shapes Stripe sends them."""

from __future__ import annotations

import json

from tests.payloads.stripe import build_event


def discounted_session(
    *,
    code: str | None = "SPRING20",
    subtotal: int = 4900,
    discount: int = 980,
    promotion_code: str = "promo_spring",
    coupon: str = "co_spring",
    **fields,
) -> str:
    """``checkout.session.completed`` of a one-off purchase with a promotion code applied:
    ``amount_subtotal`` before, ``amount_total`` after, ``total_details.amount_discount`` and
    ``discounts[]`` (the same in the 2020 and the 2025 API versions)."""
    metadata = {"price_id": fields.pop("price_id", "price_course")}
    if code:
        metadata["coupon_code"] = code
    event = json.loads(
        build_event(
            "checkout.session.completed", amount=subtotal - discount, metadata=metadata, **fields
        )
    )
    session = event["data"]["object"]
    session["amount_subtotal"] = subtotal
    session["total_details"] = {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0}
    session["discounts"] = [{"coupon": coupon, "promotion_code": promotion_code}]
    return json.dumps(event)


def discounted_invoice(
    *,
    shape: str,
    code: str | None = "SPRING20",
    subtotal: int = 2900,
    discount: int = 580,
    promotion_code: str = "promo_spring",
    coupon: str = "co_spring",
    **fields,
) -> str:
    """``invoice.paid`` of a subscription with a discount.

    ``legacy`` (API 2020-08-27): the expanded ``discount`` object with its ``coupon`` object and
    ``promotion_code``, ``discounts`` as ids, ``total_discount_amounts``, line ``price``.
    ``basil`` (2025-03-31 and later): no ``discount``; ``discounts`` as ids only; the line price
    under ``pricing.price_details``; our checkout's metadata under ``parent``.
    """
    paid = subtotal - discount
    event = json.loads(
        build_event("invoice.paid", shape=shape, amount=paid, price_id="price_monthly", **fields)
    )
    invoice = event["data"]["object"]
    invoice["subtotal"] = subtotal
    invoice["total"] = paid
    invoice["total_discount_amounts"] = [{"amount": discount, "discount": "di_1"}]
    invoice["discounts"] = ["di_1"]
    invoice["lines"]["data"][0]["discount_amounts"] = [{"amount": discount, "discount": "di_1"}]
    metadata = {"price_id": "price_monthly", **({"coupon_code": code} if code else {})}
    if shape == "basil":
        invoice["parent"]["subscription_details"]["metadata"] = metadata
    else:
        invoice["discount"] = {
            "id": "di_1",
            "object": "discount",
            "coupon": {"id": coupon, "object": "coupon", "percent_off": 20.0},
            "promotion_code": promotion_code,
        }
        invoice["subscription_details"] = {"metadata": metadata}
    return json.dumps(event)
