"""Support actions that send a member an e-mail again: a fresh login link, the welcome e-mail,
an invoice or credit note.

Each writes a ``MemberEvent`` audit row (actor and reason) and its outbox row in one
transaction: the e-mail exists exactly when the audit row does, goes out after commit, and a
failed send is retried by the outbox (and visible on the member page). Sending is the point of
these actions, so each call sends once more.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from members.models import MemberEvent, User
from members.support import SupportError, require_reason
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue

OutboxKind = OutboxMessage.Kind


@transaction.atomic
def send_fresh_login_link(
    *, member: User, actor: User | None, reason: str, now: datetime
) -> MemberEvent:
    """Mail the member a new one-time login link (the same as "send me a new link")."""
    reason = require_reason(reason)
    if not member.is_active:
        raise SupportError(f"{member.email} is deactivated: a login link would not work")
    event = MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.LOGIN_LINK_SENT, at=now, actor=actor, reason=reason
    )
    enqueue(
        Outgoing(
            kind=OutboxKind.LOGIN_LINK_EMAIL,
            member_id=member.pk,
            payload={"member_id": member.pk},
        ),
        now=now,
    )
    return event


@transaction.atomic
def resend_welcome_email(
    *,
    member: User,
    actor: User | None,
    reason: str,
    now: datetime,
    order_pk: int | None = None,
    order_ref: str = "",
) -> MemberEvent:
    """Send the welcome (or "your purchase is ready") e-mail of the member's latest paid order,
    or of ``order_pk`` or the order with provider reference ``order_ref``, again
    (``billing.emails.send_order_email_again``)."""
    from billing.models import Order

    reason = require_reason(reason)
    order_ref = (order_ref or "").strip()
    orders = Order.objects.filter(member=member).exclude(status=Order.Status.PENDING)
    if order_pk:
        orders = orders.filter(pk=order_pk)
    elif order_ref:
        orders = orders.filter(provider_ref=order_ref)
    order = orders.order_by("-pk").first()
    if order is None and order_ref:
        raise SupportError(f"{member.email} has no paid order {order_ref}")
    if order is None:
        raise SupportError(f"{member.email} has no order to send a welcome e-mail for")
    event = MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.WELCOME_RESENT, at=now, actor=actor,
        reason=f"order {order.provider_ref}: {reason}",
    )  # fmt: skip
    enqueue(
        Outgoing(
            kind=OutboxKind.ORDER_EMAIL_AGAIN,
            member_id=member.pk,
            payload={"order_pk": order.pk},
        ),
        now=now,
    )
    return event


@transaction.atomic
def resend_document(*, member: User, number: str, actor: User | None, reason: str, now: datetime):
    """E-mail one of the member's invoices or credit notes (by its number) again, with the PDF
    attached (``invoices.services.send_documents_again``, which names the admin on the mail
    row); returns the document."""
    from invoices.models import Document
    from invoices.services import send_documents_again

    reason = require_reason(reason)
    number = (number or "").strip()
    documents = Document.objects.filter(number=number, member=member)
    document = documents.first()
    if document is None:
        raise SupportError(f"{member.email} has no invoice or credit note {number}")
    MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.INVOICE_RESENT, at=now, actor=actor,
        reason=f"{document.number}: {reason}",
    )  # fmt: skip
    send_documents_again(documents=documents, actor=actor, now=now)
    return document
