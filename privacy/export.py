"""The member's data as a ZIP of JSON files and their invoice PDFs (GDPR Art. 15 and 20).

One file per kind of data, so a member (or the next service) can read each on its own:
``profile.json``, ``grants.json`` (with each grant's audit trail), ``orders.json`` (with
subscriptions), ``payments.json``, ``progress.json``, ``downloads.json``, ``emails.json``,
``consents.json``, ``store_credit.json``, ``invoices.json`` and ``invoices/<number>.pdf``.
PDFs are read through the storage API (local disk or S3 alike) and rendered if missing.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

from allauth.account.models import EmailAddress
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q

from billing.models import Order, Payment, Subscription
from drip.models import LessonNotice
from invoices.delivery import read_document_pdf
from invoices.models import Document, DocumentMail
from leads.models import Consent, SignUp
from members.models import (
    AccessGrant,
    DownloadUse,
    GrantEvent,
    LessonProgress,
    MemberEvent,
    StoreCreditEntry,
    User,
)
from members.support import require_reason
from outbox.models import OutboxMessage
from sequences.models import MarketingPreference, SequenceEmail

FILES = (
    "profile.json", "grants.json", "orders.json", "payments.json", "progress.json",
    "downloads.json", "emails.json", "consents.json", "store_credit.json", "invoices.json",
)  # fmt: skip


def _actor(actor_id: int | None) -> str:
    """Staff names are the staff's data: the export says who acted by role only."""
    return "support" if actor_id else "system"


def profile_data(member: User) -> dict:
    preference = MarketingPreference.objects.filter(member=member).first()
    return {
        "email": member.email,
        "name": member.name,
        "time_zone": member.time_zone,
        "language": member.language,
        "lesson_notifications": member.lesson_notifications,
        "marketing_emails": preference is None or preference.unsubscribed_at is None,
        "date_joined": member.date_joined,
        "last_login": member.last_login,
        "has_password": member.has_usable_password(),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=member).order_by("pk")
        ],
        "support_history": [
            {"kind": e.kind, "at": e.at, "reason": e.reason, "by": _actor(e.actor_id)}
            for e in MemberEvent.objects.filter(member=member)
        ],
    }


def grants_data(member: User) -> list[dict]:
    grants = AccessGrant.objects.filter(member=member).select_related("product").order_by("pk")
    events: dict[int, list[dict]] = {}
    for event in GrantEvent.objects.filter(grant__member=member):
        entry = {"kind": event.kind, "at": event.at, "reason": event.reason}
        events.setdefault(event.grant_id, []).append({**entry, "by": _actor(event.actor_id)})
    return [
        {
            "product": grant.product.name,
            "product_slug": grant.product.slug,
            "state": grant.state,
            "source": grant.source,
            "starts_at": grant.starts_at,
            "paid_through": grant.paid_through,
            "ended_at": grant.ended_at,
            "end_reason": grant.end_reason,
            "first_used_at": grant.first_used_at,
            "history": events.get(grant.pk, []),
        }
        for grant in grants
    ]


def orders_data(member: User) -> list[dict]:
    subscriptions: dict[int, list[dict]] = {}
    for sub in Subscription.objects.filter(member=member).order_by("pk"):
        subscriptions.setdefault(sub.order_id, []).append(
            {
                "reference": sub.provider_ref,
                "status": sub.status,
                "current_period_end": sub.current_period_end,
                "cancel_at_period_end": sub.cancel_at_period_end,
                "ended_at": sub.ended_at,
            }
        )
    orders = Order.objects.filter(member=member).select_related("product").order_by("pk")
    return [
        {
            "reference": order.provider_ref,
            "provider": order.provider,
            "product": order.product.name,
            "status": order.status,
            "amount_minor": order.amount,
            "currency": order.currency,
            "created_at": order.created_at,
            "withdrawal_waiver": {
                "text_version": order.withdrawal_waiver_version,
                "given_at": order.withdrawal_waiver_at,
                "ip_address": order.withdrawal_waiver_ip,
            },
            "subscriptions": subscriptions.get(order.pk, []),
        }
        for order in orders
    ]


def payments_data(member: User) -> list[dict]:
    payments = Payment.objects.filter(order__member=member).select_related("order").order_by("pk")
    return [
        {
            "reference": payment.provider_ref,
            "order": payment.order.provider_ref,
            "provider": payment.provider,
            "amount_minor": payment.amount,
            "refunded_minor": payment.amount_refunded,
            "currency": payment.currency,
            "status": payment.status,
            "paid_at": payment.paid_at,
            "pays_for_access_until": payment.period_end,
        }
        for payment in payments
    ]


def progress_data(member: User) -> list[dict]:
    rows = LessonProgress.objects.filter(member=member).select_related("lesson__module__product")
    return [
        {
            "course": row.lesson.module.product.name,
            "lesson": row.lesson.title,
            "first_viewed_at": row.first_viewed_at,
            "last_viewed_at": row.last_viewed_at,
            "completed_at": row.completed_at,
        }
        for row in rows.order_by("pk")
    ]


def downloads_data(member: User) -> list[dict]:
    rows = DownloadUse.objects.filter(member=member).select_related("download__product")
    return [
        {
            "product": row.download.product.name,
            "download": row.download.title,
            "count": row.count,
            "first_at": row.first_at,
            "last_at": row.last_at,
            "last_ip": row.last_ip,
        }
        for row in rows.order_by("pk")
    ]


def emails_data(member: User) -> dict:
    signups = list(SignUp.objects.filter(member=member).values_list("pk", flat=True))
    lead_emails = Q(kind=OutboxMessage.Kind.LEAD_CONFIRMATION_EMAIL, payload__signup_id__in=signups)
    outbox = OutboxMessage.objects.filter(Q(member=member) | lead_emails).order_by("pk")
    notices = LessonNotice.objects.filter(member=member).select_related("lesson").order_by("pk")
    sequence_emails = SequenceEmail.objects.filter(enrolment__member=member).select_related(
        "enrolment__sequence", "step"
    )
    mails = DocumentMail.objects.filter(document__member=member).select_related("document")
    return {
        "messages": [
            {"kind": m.kind, "state": m.state, "created_at": m.created_at, "sent_at": m.sent_at}
            for m in outbox
        ],
        "invoice_emails": [
            {
                "document": m.document.number,
                "to": m.recipient,
                "reason": m.reason,
                "sent_at": m.sent_at,
            }
            for m in mails.order_by("pk")
        ],  # fmt: skip
        "lesson_emails": [
            {"lesson": n.lesson.title, "status": n.status, "sent_at": n.sent_at} for n in notices
        ],
        "sequence_emails": [
            {
                "sequence": e.enrolment.sequence.name,
                "subject": e.step.subject_en,
                "status": e.status,
                "sent_at": e.sent_at,
            }
            for e in sequence_emails.order_by("pk")
        ],  # fmt: skip
    }


def consents_data(member: User) -> dict:
    consents = Consent.objects.filter(member=member).select_related("product").order_by("pk")
    signups = SignUp.objects.filter(member=member).select_related("product").order_by("pk")
    return {
        "consents": [
            {
                "product": c.product.name,
                "text": c.text,
                "version": c.version,
                "language": c.language,
                "email": c.email,
                "given_at": c.given_at,
                "given_ip": c.given_ip,
                "user_agent": c.user_agent,
                "confirmed_at": c.confirmed_at,
                "confirmed_ip": c.confirmed_ip,
            }
            for c in consents
        ],  # fmt: skip
        "signups": [
            {
                "product": s.product.name,
                "email": s.email,
                "name": s.name,
                "created_at": s.created_at,
                "confirmed_at": s.confirmed_at,
                "ip_address": s.ip_address,
            }
            for s in signups
        ],  # fmt: skip
        "marketing": marketing_data(member),
    }


def marketing_data(member: User) -> dict:
    preference = MarketingPreference.objects.filter(member=member).first()
    return {
        "unsubscribed_at": preference.unsubscribed_at if preference else None,
        "changed_at": preference.updated_at if preference else None,
    }


def store_credit_data(member: User) -> list[dict]:
    return [
        {"kind": e.kind, "amount_minor": e.amount, "currency": e.currency,
         "balance_after_minor": e.balance_after, "at": e.at, "reason": e.reason}
        for e in StoreCreditEntry.objects.filter(member=member)
    ]  # fmt: skip


def invoices_data(documents: list[Document]) -> list[dict]:
    return [
        {
            "number": d.number,
            "kind": d.kind,
            "issue_date": d.issue_date,
            "buyer_name": d.buyer_name,
            "buyer_email": d.buyer_email,
            "buyer_address": d.buyer_address,
            "buyer_country": d.buyer_country,
            "buyer_vat_id": d.buyer_vat_id,
            "currency": d.currency,
            "net_minor": d.net_total,
            "vat_minor": d.vat_total,
            "gross_minor": d.gross_total,
            "pdf": f"invoices/{d.pdf_filename}",
        }
        for d in documents
    ]


def _dump(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def build_member_export(*, member: User, now: datetime) -> bytes:
    """The ZIP's bytes. Reads only (a missing invoice PDF is rendered and stored once)."""
    documents = list(Document.objects.filter(member=member).order_by("issued_at", "pk"))
    parts = {
        "profile.json": profile_data(member),
        "grants.json": grants_data(member),
        "orders.json": orders_data(member),
        "payments.json": payments_data(member),
        "progress.json": progress_data(member),
        "downloads.json": downloads_data(member),
        "emails.json": emails_data(member),
        "consents.json": consents_data(member),
        "store_credit.json": store_credit_data(member),
        "invoices.json": invoices_data(documents),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, _dump(data))
        for document in documents:
            pdf = read_document_pdf(document=document, now=now)
            archive.writestr(f"invoices/{document.pdf_filename}", pdf)
    return buffer.getvalue()


@transaction.atomic
def export_member(*, member: User, actor: User | None, reason: str, now: datetime) -> bytes:
    """The ZIP, with an audit row saying who exported it and why."""
    reason = require_reason(reason)
    MemberEvent.objects.create(
        member=member, kind=MemberEvent.Kind.DATA_EXPORTED, at=now, actor=actor, reason=reason
    )
    return build_member_export(member=member, now=now)


def export_filename(member: User, now: datetime) -> str:
    return f"member-data-{member.pk}-{now:%Y%m%d-%H%M%S}.zip"
