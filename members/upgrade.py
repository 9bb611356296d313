"""Upgrade against a surcharge: support offers a member a dearer product for the difference.

* ``offer_upgrade`` (support) checks the pair, writes an ``UpgradeOffer`` with an unguessable
  token and an audit row, and mails the member a link through the outbox, all in one
  transaction. An open offer for the same pair is returned as it is (no second mail).
* The member's page (``members.views.upgrade_offer``) starts a Stripe Checkout in payment mode
  for the difference (``upgrade_checkout_params``), or the offline test checkout.
* The paid ``checkout.session.completed`` carries the token in ``metadata.upgrade_offer``; the
  purchase is recorded as any other (order, payment, invoice), and instead of a plain grant
  ``complete_upgrade`` ends the old grant (audit row) and gives the new one on the new order.
  The payment is recorded once, and the offer row is locked and re-checked, so a repeated
  webhook changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from members.locks import lock_grants
from members.models import AccessGrant, MemberEvent, UpgradeOffer, User
from members.services import grant_access
from members.support import SupportError, _do_swap, _is_live, require_reason
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue
from products.models import Price, Product

OfferState = UpgradeOffer.State


def _one_off_price(product: Product, *, paid: Price | None = None) -> Price:
    """The one-off price the product is sold at (the price paid, if known)."""
    if paid is not None and not paid.is_recurring and paid.amount > 0:
        return paid
    prices = list(product.prices.filter(is_active=True).order_by("amount", "pk"))
    if any(price.is_recurring for price in prices):
        raise SupportError(f"{product.slug} is a subscription: change its plan at the provider")
    one_off = [price for price in prices if price.amount > 0]
    if not one_off:
        raise SupportError(f"{product.slug} has no one-off price to upgrade with")
    return one_off[0]


def _grants(member: User, *products: Product) -> dict[int, AccessGrant]:
    pks = AccessGrant.objects.filter(member=member, product__in=products).values_list("pk")
    return {grant.product_id: grant for grant in lock_grants(pks=(pk for (pk,) in pks))}


def _open_offer(member: User, from_product: Product, to_product: Product):
    return UpgradeOffer.objects.filter(
        member=member, from_product=from_product, to_product=to_product, state=OfferState.PENDING
    ).first()


def _prices(old: AccessGrant, to_product: Product) -> tuple[Price, Price]:
    order = old.order
    if order is not None and order.price is not None and order.price.is_recurring:
        raise SupportError(f"{old.product.slug} is paid by a subscription: no upgrade offer")
    paid = order.price if order is not None else None
    from_price = _one_off_price(old.product, paid=paid)
    to_price = _one_off_price(to_product)
    if from_price.currency.upper() != to_price.currency.upper():
        raise SupportError(
            f"{old.product.slug} costs {from_price.display_amount} but {to_product.slug} costs "
            f"{to_price.display_amount}: an upgrade needs the same currency"
        )
    if to_price.amount <= from_price.amount:
        raise SupportError(
            f"{to_product.slug} ({to_price.display_amount}) is not dearer than "
            f"{old.product.slug} ({from_price.display_amount}): swap instead"
        )
    return from_price, to_price


@transaction.atomic
def offer_upgrade(
    *,
    member: User,
    from_product: Product,
    to_product: Product,
    actor: User | None,
    reason: str,
    now: datetime,
) -> tuple[UpgradeOffer, bool]:
    """Offer the member ``to_product`` in place of ``from_product`` for the difference, and mail
    the link; returns (offer, created). An open offer for the pair is returned unchanged.

    Refused, changing nothing: the same product, a bundle, a subscription, a product the member
    cannot use now, one they already have, a target that is not dearer or in another currency.
    """
    reason = require_reason(reason)
    if from_product.pk == to_product.pk:
        raise SupportError("an upgrade needs two different products")
    if Product.Kind.BUNDLE in (from_product.kind, to_product.kind):
        raise SupportError("upgrade the products inside a bundle, not the bundle")
    grants = _grants(member, from_product, to_product)  # locked: offers for a member serialise
    old, new = grants.get(from_product.pk), grants.get(to_product.pk)
    if not _is_live(old, now=now):
        raise SupportError(f"{member.email} cannot use {from_product.slug}: no upgrade")
    if _is_live(new, now=now):
        raise SupportError(f"{member.email} already has access to {to_product.slug}")
    existing = _open_offer(member, from_product, to_product)
    if existing is not None:
        return existing, False
    from_price, to_price = _prices(old, to_product)
    try:
        with transaction.atomic():
            offer = UpgradeOffer.objects.create(
                token=secrets.token_urlsafe(24), member=member, from_product=from_product,
                to_product=to_product, amount=to_price.amount - from_price.amount,
                currency=to_price.currency.upper(), created_at=now, created_by=actor,
                reason=reason,
            )  # fmt: skip
    except IntegrityError:  # a concurrent offer for the pair won
        return _open_offer(member, from_product, to_product), False
    MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.UPGRADE_OFFERED, at=now, actor=actor,
        reason=f"{from_product.slug} → {to_product.slug} for {offer_display(offer)}: {reason}",
    )  # fmt: skip
    enqueue(
        Outgoing(
            kind=OutboxMessage.Kind.UPGRADE_OFFER_EMAIL,
            member_id=member.pk,
            payload={"offer_pk": offer.pk},
        ),
        now=now,
    )
    return offer, True


def offer_display(offer: UpgradeOffer) -> str:
    from products.money import format_money

    return format_money(offer.amount, offer.currency)


def offer_url(offer: UpgradeOffer) -> str:
    return settings.SITE_URL + reverse("members:upgrade_offer", kwargs={"token": offer.token})


def send_upgrade_offer_email(*, offer_pk: int, now: datetime) -> bool:
    """The outbox handler: the link to the offer (nothing once it is paid or cancelled)."""
    from billing.emails import build_email

    offer = (
        UpgradeOffer.objects.select_related("member", "from_product", "to_product")
        .filter(pk=offer_pk, state=OfferState.PENDING, member__is_active=True)
        .first()
    )
    if offer is None:
        return False
    message = build_email(
        member=offer.member,
        template="upgrade_offer",
        context={"offer": offer, "offer_url": offer_url(offer), "amount": offer_display(offer)},
    )
    message.send()
    return True


def upgrade_price(offer: UpgradeOffer) -> Price:
    """The target's price: its reference in the checkout's metadata names what is bought."""
    return _one_off_price(offer.to_product)


def upgrade_checkout_params(*, offer: UpgradeOffer, customer_ref: str = "") -> dict:
    """A Stripe Checkout Session in payment mode for the difference (``price_data``).

    ``metadata.price_id`` names the target's price, so the order is one for the new product;
    ``metadata.upgrade_offer`` makes the webhook swap instead of adding a grant.
    """
    from products.sellable import offline_price_ref

    language = translation.get_language() or settings.LANGUAGE_CODE
    name = f"Upgrade: {offer.from_product.name} → {offer.to_product.name}"
    params: dict = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": offer.currency.lower(),
                    "unit_amount": offer.amount,
                    "product_data": {"name": name},
                },
                "quantity": 1,
            }
        ],
        "success_url": settings.SITE_URL
        + reverse("billing:checkout_success")
        + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": offer_url(offer),
        "metadata": {
            "price_id": offline_price_ref(upgrade_price(offer)),
            "upgrade_offer": offer.token,
            "language": language,
        },
        "locale": language.split("-")[0],
    }
    if customer_ref:
        params["customer"] = customer_ref
    else:
        params["customer_email"] = offer.member.email
        params["customer_creation"] = "always"
    return params


def start_upgrade_checkout(*, offer: UpgradeOffer) -> str:
    """Where to send the member to pay: Stripe's page, or (offline test mode) the success page
    after the local test checkout has delivered the signed webhook."""
    from billing import stripe_api
    from billing.providers import stripe_test_checkout
    from billing.selectors import stripe_customer_for

    if offer.state != OfferState.PENDING:
        raise SupportError("this upgrade offer is no longer open")
    params = upgrade_checkout_params(offer=offer)
    if stripe_test_checkout.is_available():
        session_ref = stripe_test_checkout.complete_test_upgrade(
            price=upgrade_price(offer), email=offer.member.email, amount=offer.amount,
            metadata=params["metadata"],
        )  # fmt: skip
        return reverse("billing:checkout_success") + f"?session_id={session_ref}"
    customer = stripe_customer_for(member=offer.member)
    if customer is not None:
        params = upgrade_checkout_params(offer=offer, customer_ref=customer.provider_customer_id)
    return stripe_api.create_checkout_session(params).url


def complete_upgrade(*, token: str, order, source_event, now: datetime) -> str:
    """The offer is paid (call inside the payment's transaction, after its order and invoice):
    end the old grant, give the new product on ``order``, mark the offer paid; once."""
    offer = UpgradeOffer.objects.select_for_update().filter(token=token).first()
    if offer is None:
        raise ValueError(f"payment for unknown upgrade offer {token[:6]}…")
    if offer.state == OfferState.PAID:
        return f"upgrade offer {offer.pk} was paid before"
    grants = _grants(offer.member, offer.from_product, offer.to_product)
    old = grants.get(offer.from_product_id)
    reason = f"upgrade paid ({order.provider_ref}): {offer.reason}"
    if _is_live(old, now=now):
        _do_swap(old=old, to_product=offer.to_product, actor=offer.created_by, reason=reason,
                 now=now, order=order)  # fmt: skip
    else:  # the old access ended meanwhile: the member still gets what they paid for
        from billing.services.coverage import grant_source_for

        grant_access(member=offer.member, product=offer.to_product, order=order,
                     paid_through=None, source=grant_source_for(order), now=now,
                     is_test=order.is_test, source_event=source_event, reason=reason)  # fmt: skip
    offer.state = OfferState.PAID
    offer.paid_at = now
    offer.order = order
    offer.save(update_fields=["state", "paid_at", "order"])
    return ""
