"""Billing e-mails (text and HTML from ``templates/emails/``, which a creator can override).

Each is rendered in the member's language and time zone. They run as outbox handlers (see
``outbox.handlers``): called with the outbox row locked, they return whether they sent. The order
e-mail is also claimed on the order row inside a transaction: it goes out once per order, and a
failed send rolls the claim back so that a retry sends it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import Order
from billing.waiver import withdrawal_confirmation
from branding.selectors import current_brand, from_email
from members.access import access_ends_at
from members.login_links import login_link_url
from members.models import AccessGrant, User
from products.selectors import products_granted_by


def build_email(*, member: User, template: str, context: dict) -> EmailMultiAlternatives:
    """``emails/<template>_subject.txt``, ``.txt`` and ``.html`` rendered for the member."""
    language = member.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(member.zone):
        brand = current_brand()
        context = {"member": member, "site_url": settings.SITE_URL, "branding": brand, **context}
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=from_email(brand),
        to=[member.email],
    )
    message.attach_alternative(html, "text/html")
    return message


def send_order_email(*, order_pk: int, now: datetime) -> bool:
    """Welcome a new member (login link, then set a password) or tell a known one it is ready."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("member", "product")
            .filter(pk=order_pk)
            .first()
        )
        if order is None or order.welcome_sent_at is not None:
            return False
        order_message(order).send()
        order.welcome_sent_at = now
        order.save(update_fields=["welcome_sent_at"])
    return True


def order_message(order: Order) -> EmailMultiAlternatives:
    """The welcome e-mail (login link, then set a password) for a member without a password,
    "your purchase is ready" for one who has one."""
    member = order.member
    return build_email(
        member=member,
        template="welcome" if not member.has_usable_password() else "purchase_ready",
        context={
            "order": order,
            "products": products_granted_by(order.product),
            "withdrawal": withdrawal_confirmation(order),
            "login_url": login_link_url(member),
            "members_url": settings.SITE_URL + reverse("members:dashboard"),
        },
    )


def send_order_email_again(*, order_pk: int, now: datetime) -> bool:
    """Outbox handler for support's "resend the welcome e-mail": sends every time it is asked
    (one outbox row per request) and leaves the order's sent-once stamp as it was."""
    order = Order.objects.select_related("member", "product").filter(pk=order_pk).first()
    if order is None:
        return False
    order_message(order).send()
    return True


def send_payment_failed_email(*, order_pk: int, now: datetime | None = None) -> bool:
    """Tell the member a payment failed, until when access lasts, and where to fix the card."""
    order = Order.objects.select_related("member", "product").filter(pk=order_pk).first()
    if order is None:
        return False
    grant = (
        AccessGrant.objects.filter(order=order, state=AccessGrant.State.GRACE)
        .select_related("product")
        .first()
    )
    if grant is None:  # restored meanwhile
        return False
    message = build_email(
        member=order.member,
        template="payment_failed",
        context={
            "order": order,
            "product": grant.product,
            "ends_at": access_ends_at(grant),
            "billing_url": settings.SITE_URL + reverse("members:dashboard"),
            "login_url": login_link_url(order.member),
        },
    )
    message.send()
    return True
