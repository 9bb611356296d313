"""Starting a purchase: a Stripe Checkout Session, or the customer portal for a member."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from billing import stripe_api
from billing.selectors import stripe_customer_for
from billing.waiver import WAIVER_VERSION, waiver_needed, waiver_text
from members.credit import credit_for_checkout
from members.models import User
from offers.bumps import OfferedBump, add_bump_line
from offers.selectors import CheckoutCoupon
from offers.upsell import checkout_params as upsell_checkout_params
from products.models import Price


@dataclass(frozen=True)
class StoreCreditDiscount:
    """Store credit a checkout takes off the price; ``key`` names the checkout in the ledger."""

    amount: int  # minor units
    currency: str
    key: str
    member_id: int

    def metadata(self) -> dict:
        return {
            "store_credit": str(self.amount),
            "store_credit_key": self.key,
            "store_credit_member": str(self.member_id),
        }


def store_credit_discount(*, price: Price, member: User | None) -> StoreCreditDiscount | None:
    """The member's store credit for this price: none without a balance in the price's
    currency, and none for a free trial (a once-coupon would be spent on its 0.00 invoice)."""
    if member is None or price.trial_days or not price.amount:
        return None
    amount = credit_for_checkout(member=member, amount=price.amount, currency=price.currency)
    if not amount:
        return None
    key = "sc_" + secrets.token_hex(12)
    return StoreCreditDiscount(amount, price.currency.upper(), key, member.pk)


def checkout_session_params(
    *,
    price: Price,
    member: User | None,
    credit: StoreCreditDiscount | None = None,
    coupon_ref: str = "",
    coupon: CheckoutCoupon | None = None,
    bump: OfferedBump | None = None,
    ip_country: str = "",
) -> dict:
    """The Checkout Session for one price: ``metadata.price_id`` names our Stripe price; an
    order bump the buyer ticked is a second line (``offers.bumps``, one-off prices only).

    Stripe's page speaks the language the buyer browses our site in, and ``metadata.language``
    carries it to the webhook, so a new member's e-mails come in that language too.
    """
    success = settings.SITE_URL + reverse("billing:checkout_success")
    language = translation.get_language() or settings.LANGUAGE_CODE
    params: dict = {
        "mode": "subscription" if price.is_recurring else "payment",
        "line_items": [{"price": price.stripe_price_id, "quantity": 1}],
        "success_url": success + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": settings.SITE_URL + price.product.get_catalog_url(),
        "metadata": {"price_id": price.stripe_price_id, "language": language},
        "locale": language.split("-")[0],
        # A business buyer can give a VAT id (customer_details.tax_ids): checked with VIES,
        # a valid one from another EU country makes the invoice reverse charge (invoices).
        "tax_id_collection": {"enabled": True},
    }
    if ip_country:  # OSS location evidence besides the billing address (settings.IP_COUNTRY_HEADER)
        params["metadata"]["ip_country"] = ip_country
    if price.is_recurring:
        # The first invoice (which creates the member) carries the subscription's metadata.
        subscription_data: dict = {"metadata": dict(params["metadata"])}
        if price.trial_days:
            subscription_data["trial_period_days"] = price.trial_days
        params["subscription_data"] = subscription_data
    else:
        params["customer_creation"] = "always"  # so the member can open the portal later
        params.update(upsell_checkout_params(price=price))  # saves the card for the upsell
    _ask_for_waiver(params, price=price)
    if credit is not None and coupon_ref:
        # The credit and its key travel in our metadata (on the subscription too: its first
        # invoice is the paid event), so the webhook records the use once the payment succeeds.
        params["discounts"] = [{"coupon": coupon_ref}]
        params["metadata"].update(credit.metadata())
        if price.is_recurring:
            params["subscription_data"]["metadata"].update(credit.metadata())
    if coupon is not None:
        _apply_coupon(params, coupon=coupon, is_recurring=price.is_recurring)
    if bump is not None and not price.is_recurring:
        add_bump_line(params, bump=bump)
    customer = stripe_customer_for(member=member) if member is not None else None
    if customer is not None:
        params["customer"] = customer.provider_customer_id
        # Stripe requires this with tax_id_collection: the id and address go on the customer.
        params["customer_update"] = {"name": "auto", "address": "auto"}
    elif member is not None:
        params["customer_email"] = member.email
    return params


def _ask_for_waiver(params: dict, *, price: Price) -> None:
    """The withdrawal-right waiver (``billing.waiver``) as Checkout's required terms-of-service
    checkbox, with our text beside it; its version travels in the metadata (on the subscription
    too, whose first invoice may arrive before the session). Stripe needs a terms-of-service URL
    in the account's public details for ``consent_collection``."""
    if not waiver_needed(product=price.product, amount=price.amount):
        return
    params["consent_collection"] = {"terms_of_service": "required"}
    params["custom_text"] = {"terms_of_service_acceptance": {"message": waiver_text()}}
    params["metadata"]["withdrawal_waiver"] = WAIVER_VERSION
    if price.is_recurring:
        params["subscription_data"]["metadata"]["withdrawal_waiver"] = WAIVER_VERSION


def _apply_coupon(params: dict, *, coupon: CheckoutCoupon, is_recurring: bool) -> None:
    """The buyer's code as its Stripe promotion code; the code also travels in our metadata
    (on the subscription too, whose invoices carry it), so the webhook knows our coupon even
    where Stripe's event names only a discount id."""
    params["discounts"] = [{"promotion_code": coupon.promotion_code_ref}]
    params["metadata"]["coupon_code"] = coupon.code
    if is_recurring:
        params["subscription_data"]["metadata"]["coupon_code"] = coupon.code


def start_checkout(
    *,
    price: Price,
    member: User | None,
    coupon: CheckoutCoupon | None = None,
    bump: OfferedBump | None = None,
    ip_country: str = "",
) -> str:
    """Create the Checkout Session through Stripe's API; returns the URL to send the buyer to.

    Store credit is applied as a one-off coupon (``duration=once``, ``amount_off`` in the
    price's currency, ``max_redemptions=1``), not as a Stripe customer balance: a customer
    balance only reduces invoices, so it would not touch a one-time payment-mode Checkout; it
    needs a Stripe customer the buyer may not have yet; and it stays on Stripe's side, so an
    abandoned checkout would leave it there to be spent silently by a later renewal, a second
    ledger to reconcile with ours. The coupon belongs to this one session: paying it is the
    only way it is used, and our ledger (``members.credit``) records the use from the paid
    webhook, once, by the key in the metadata. Opening the checkout changes no balance.

    A Checkout Session takes one discount, so a buyer's coupon code (checked by
    ``offers.selectors.coupon_for_checkout``) replaces the store credit for this purchase; the
    credit stays in the member's balance for the next one.
    """
    credit = None if coupon is not None else store_credit_discount(price=price, member=member)
    coupon_ref = ""
    if credit is not None:
        coupon_ref = stripe_api.create_coupon(
            {
                "amount_off": credit.amount,
                "currency": credit.currency.lower(),
                "duration": "once",
                "max_redemptions": 1,
                "name": "Store credit",
                "metadata": credit.metadata(),
            }
        )
    session = stripe_api.create_checkout_session(
        checkout_session_params(
            price=price,
            member=member,
            credit=credit,
            coupon_ref=coupon_ref,
            coupon=coupon,
            bump=bump,
            ip_country=ip_country,
        )
    )
    return session.url


def portal_url(*, member: User) -> str | None:
    """A Stripe customer portal session for the member; None if Stripe does not know them."""
    customer = stripe_customer_for(member=member)
    if customer is None or not stripe_api.is_configured():
        return None
    return stripe_api.create_portal_session(
        customer_ref=customer.provider_customer_id,
        return_url=settings.SITE_URL + reverse("members:dashboard"),
    )
