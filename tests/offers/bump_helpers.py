"""An order bump's signed checkout event, as our checkout and Stripe make them."""

from __future__ import annotations

import json

from offers.models import OrderBump
from tests.payloads.stripe import build_event


def bump_session(
    bump: OrderBump,
    *,
    shape: str = "basil",
    main: int = 4900,
    discount: int = 0,
    code: str = "",
    **fields,
) -> str:
    """``checkout.session.completed`` of the main price plus the bump line: the session's
    subtotal is both lines, and our metadata names the bump (Stripe's event has no lines)."""
    subtotal = main + bump.amount
    metadata = {"price_id": "price_course", "bump_id": str(bump.pk), "bump_amount": "900"}
    if code:
        metadata["coupon_code"] = code
    event = json.loads(
        build_event(
            "checkout.session.completed",
            shape=shape,
            amount=subtotal - discount,
            metadata=metadata,
            **fields,
        )
    )
    session = event["data"]["object"]
    session["amount_subtotal"] = subtotal
    session["total_details"] = {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0}
    if discount:
        session["discounts"] = [{"coupon": "co_spring", "promotion_code": "promo_spring"}]
    return json.dumps(event)
