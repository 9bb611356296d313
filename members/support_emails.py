"""Support actions that send a member an e-mail again: a fresh login link, the welcome e-mail.

Thin calls to the existing mail code, sent after commit, each with a ``MemberEvent`` audit row
(actor and reason). Sending is the point of these actions, so each call sends once more.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from members.models import MemberEvent, User
from members.support import SupportError, require_reason


@transaction.atomic
def send_fresh_login_link(
    *, member: User, actor: User | None, reason: str, now: datetime
) -> MemberEvent:
    """Mail the member a new one-time login link (the same as "send me a new link")."""
    from members.login_links import send_login_link

    reason = require_reason(reason)
    if not member.is_active:
        raise SupportError(f"{member.email} is deactivated: a login link would not work")
    event = MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.LOGIN_LINK_SENT, at=now, actor=actor, reason=reason
    )
    transaction.on_commit(partial(send_login_link, member=member))
    return event


def _send_welcome(*, order_pk: int) -> None:
    """The order e-mail again, ignoring its sent-once stamp (which stays as it was)."""
    from billing.emails import build_email
    from billing.models import Order
    from members.login_links import login_link_url
    from products.selectors import products_granted_by

    order = Order.objects.select_related("member", "product").get(pk=order_pk)
    member = order.member
    build_email(
        member=member,
        template="welcome" if not member.has_usable_password() else "purchase_ready",
        context={
            "order": order,
            "products": products_granted_by(order.product),
            "login_url": login_link_url(member),
            "members_url": settings.SITE_URL + reverse("members:dashboard"),
        },
    ).send()


@transaction.atomic
def resend_welcome_email(
    *, member: User, actor: User | None, reason: str, now: datetime, order_pk: int | None = None
) -> MemberEvent:
    """Send the welcome (or "your purchase is ready") e-mail of the member's latest paid order,
    or of ``order_pk``, again."""
    from billing.models import Order

    reason = require_reason(reason)
    orders = Order.objects.filter(member=member).exclude(status=Order.Status.PENDING)
    order = orders.filter(pk=order_pk).first() if order_pk else orders.order_by("-pk").first()
    if order is None:
        raise SupportError(f"{member.email} has no order to send a welcome e-mail for")
    event = MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.WELCOME_RESENT, at=now, actor=actor,
        reason=f"order {order.provider_ref}: {reason}",
    )  # fmt: skip
    transaction.on_commit(partial(_send_welcome, order_pk=order.pk))
    return event
