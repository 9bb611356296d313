"""The buyer's waiver of the 14-day withdrawal right for digital content (§ 356 (5) BGB, Art. 16 (m)
of the Consumer Rights Directive and its national counterparts).

Before paying for a product that asks for it (``Product.requires_withdrawal_waiver``), the buyer
agrees that access starts at once and that the withdrawal right then ends: in Stripe Checkout as
the required terms-of-service checkbox with our text, in the offline test checkout as a required
checkbox. The order keeps which text (its version), when and, where known, from which IP address;
the invoice and the welcome e-mail repeat it (the confirmation on a durable medium the law asks
for).

An order without a recorded waiver still grants its products, but each grant is *pending* until
the withdrawal period is over (``AccessGrant.withheld_until``). Whether the member gets in is
computed from that date and the clock (``members.access.effective_state``): no worker has to run
on day 14. A waiver recorded later for the order (a late ``checkout.session.completed``), or the
creator switching the requirement off, opens the grants at once.

Exempt: free products (no price above 0), renewals of a subscription (the first payment's waiver
covers them) and Digistore24 orders (the merchant of record collects the waiver on its own form).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from ipaddress import ip_address

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from billing.models import Order
from billing.providers.base import WaiverConsent
from members.models import AccessGrant, GrantEvent, User
from members.services import record_grant_event
from products.models import Product

WITHDRAWAL_PERIOD = timedelta(days=14)

# Every text ever shown stays here under its version: an order names the version its buyer saw,
# and invoices and e-mails quote that one. A new wording gets a new version; never edit one.
WAIVER_TEXTS = {
    "2026-12-v1": _(
        "I expressly agree that my access starts immediately, before the 14-day withdrawal "
        "period ends. I know that I lose my right of withdrawal once access has started."
    ),
}
WAIVER_VERSION = "2026-12-v1"  # the text checkouts show now

# Providers that are the merchant of record and collect the waiver on their own order form.
EXEMPT_PROVIDERS = frozenset({"digistore24"})


def waiver_text(version: str = WAIVER_VERSION) -> str:
    """The waiver's text of ``version`` in the active language ("" for an unknown version)."""
    text = WAIVER_TEXTS.get(version)
    return str(text) if text is not None else ""


def clean_ip(value: str) -> str | None:
    """An IP address as stored, or None for anything that is not one."""
    try:
        return str(ip_address((value or "").strip()))
    except ValueError:
        return None


def waiver_needed(*, product: Product, amount: int) -> bool:
    """Does buying ``product`` at ``amount`` (the price, minor units) ask for the waiver?"""
    return product.requires_withdrawal_waiver and amount > 0


def waiver_fields(consent: WaiverConsent | None) -> dict:
    """The order's waiver columns for a consent a checkout reported (none: empty)."""
    if consent is None or consent.version not in WAIVER_TEXTS:
        return {}
    return {
        "withdrawal_waiver_version": consent.version,
        "withdrawal_waiver_at": consent.at,
        "withdrawal_waiver_ip": clean_ip(consent.ip),
    }


def access_withheld_until(*, order: Order, product: Product, now: datetime) -> datetime | None:
    """When ``order``'s access to ``product`` may start without a waiver; None: at once.

    ``product`` is what the order bought (a bundle for its products): its switch and price
    decide, as they decided what the checkout asked.
    """
    if order.provider in EXEMPT_PROVIDERS or order.withdrawal_waiver_version:
        return None
    amount = order.price.amount if order.price is not None else order.amount
    if not waiver_needed(product=product, amount=amount):
        return None
    return order.created_at + WITHDRAWAL_PERIOD if order.created_at else now + WITHDRAWAL_PERIOD


def _open_grants(*, grants, now: datetime, reason: str, actor: User | None = None) -> list[int]:
    """Open withheld grants now: the drip clock starts today. Call inside a transaction."""
    opened = []
    for grant in grants.select_for_update(of=("self",)).order_by("pk"):
        if grant.withheld_until is None or grant.withheld_until <= now:
            continue
        grant.withheld_until = None
        grant.starts_at = now
        grant.save(update_fields=["withheld_until", "starts_at", "updated_at"])
        record_grant_event(
            grant=grant, kind=GrantEvent.Kind.NOTE, now=now, reason=reason, actor=actor
        )
        opened.append(grant.pk)
    return opened


@transaction.atomic
def record_waiver(*, order: Order, consent: WaiverConsent, now: datetime) -> list[int]:
    """Store a waiver reported after the order was recorded and open its pending grants.

    The first waiver recorded stays; a repeated report changes nothing. Returns the opened
    grants' pks.
    """
    fields = waiver_fields(consent)
    if not fields:
        return []
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.withdrawal_waiver_version:
        return []
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=list(fields))
    reason = f"withdrawal waiver {consent.version} recorded for order {order.provider_ref}"
    return _open_grants(grants=AccessGrant.objects.filter(order=order), now=now, reason=reason)


@transaction.atomic
def release_withheld_grants(
    *, product: Product, now: datetime, actor: User | None = None
) -> list[int]:
    """The creator switched the waiver requirement off: open the pending grants of orders for
    ``product`` (or of the products in it, for a bundle) at once."""
    grants = AccessGrant.objects.filter(order__product=product, withheld_until__gt=now)
    reason = f"withdrawal waiver no longer required for {product.slug}"
    return _open_grants(grants=grants, now=now, reason=reason, actor=actor)


def withdrawal_confirmation(order: Order) -> dict | None:
    """What the order's e-mail confirms: the waiver (its text in the active language, version
    and time), or when access opens without one; None if neither applies."""
    if order.withdrawal_waiver_version:
        return {
            "text": WAIVER_TEXTS.get(order.withdrawal_waiver_version, ""),
            "version": order.withdrawal_waiver_version,
            "at": order.withdrawal_waiver_at,
            "opens_at": None,
        }
    grant = (
        AccessGrant.objects.filter(order=order, withheld_until__isnull=False)
        .order_by("withheld_until")
        .first()
    )
    if grant is None:
        return None
    return {"text": "", "version": "", "at": None, "opens_at": grant.withheld_until}


def invoice_waiver_fields(*, payment, kind: str, now: datetime) -> dict:
    """The waiver columns of a new invoice document: the first invoice of an order confirms
    the order's waiver, or says when access opens without one. Renewals and credit notes
    carry none."""
    from invoices.models import Document, DocumentKind

    order = payment.order
    if kind != DocumentKind.INVOICE:
        return {}
    if Document.objects.filter(payment__order=order, kind=DocumentKind.INVOICE).exists():
        return {}
    if order.withdrawal_waiver_version:
        return {
            "withdrawal_waiver_version": order.withdrawal_waiver_version,
            "withdrawal_waiver_at": order.withdrawal_waiver_at,
        }
    opens_at = access_withheld_until(order=order, product=order.product, now=now)
    return {"access_withheld_until": opens_at} if opens_at else {}
