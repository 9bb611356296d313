"""After commit: render the PDF once, store it privately, and e-mail it to the buyer.

The issuing transaction writes two outbox rows (render, e-mail); ``render_document``,
``email_issued_document`` and ``email_document_again`` are their handlers (``outbox.handlers``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from branding.selectors import from_email
from invoices.models import Document, DocumentFile, DocumentMail, SellerSettings
from invoices.pdf import render_document_pdf


def document_language(document: Document) -> str:
    return document.member.language or settings.LANGUAGE_CODE


def ensure_document_pdf(*, document: Document, now: datetime) -> DocumentFile:
    """Return the stored PDF, rendering and storing it first if needed (safe to repeat)."""
    existing = DocumentFile.objects.filter(document=document).first()
    if existing is not None:
        return existing
    seller = SellerSettings.objects.order_by("pk").first()
    content = render_document_pdf(
        document=document, seller=seller, language=document_language(document)
    )
    stored = DocumentFile(document=document, rendered_at=now)
    name = f"{document.issue_date.year}/{document.pdf_filename}"
    stored.pdf.save(name, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            stored.save()
    except IntegrityError:  # another worker stored it first: keep theirs
        stored.pdf.delete(save=False)
        return DocumentFile.objects.get(document=document)
    return stored


def read_document_pdf(*, document: Document, now: datetime) -> bytes:
    stored = ensure_document_pdf(document=document, now=now)
    with stored.pdf.open("rb") as handle:
        return handle.read()


def send_document_email(
    *,
    document: Document,
    reason: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> DocumentMail | None:
    """E-mail the document as a PDF attachment. The automatic mail after issue goes out once;
    "send again" (``reason=resent``) sends every time and leaves a row naming the admin."""
    pdf = read_document_pdf(document=document, now=now)
    with transaction.atomic():
        if reason == DocumentMail.Reason.ISSUED:
            mail, created = DocumentMail.objects.get_or_create(
                document=document,
                reason=reason,
                defaults={"recipient": document.buyer_email, "sent_at": now, "actor": actor},
            )
            if not created:
                return None
        else:
            mail = DocumentMail.objects.create(
                document=document,
                reason=reason,
                recipient=document.buyer_email,
                sent_at=now,
                actor=actor,
            )
        # Sent inside the block: if the mail server fails, the row rolls back and a retry sends.
        _build_message(document=document, pdf=pdf).send()
    return mail


def _document(document_pk: int) -> Document:
    return Document.objects.select_related("member", "corrects").get(pk=document_pk)


def render_document(*, document_pk: int, now: datetime) -> bool:
    """Outbox handler: the PDF is stored (rendered now, or found from an earlier run)."""
    ensure_document_pdf(document=_document(document_pk), now=now)
    return True


def email_issued_document(*, document_pk: int, now: datetime) -> bool:
    """Outbox handler: the automatic e-mail after issue; False if it went out before."""
    mail = send_document_email(
        document=_document(document_pk), reason=DocumentMail.Reason.ISSUED, now=now
    )
    return mail is not None


def email_document_again(*, document_pk: int, actor_pk: int | None, now: datetime) -> bool:
    """Outbox handler: the admin's "send again", one e-mail per request, naming the admin."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_pk).first() if actor_pk else None
    send_document_email(
        document=_document(document_pk), reason=DocumentMail.Reason.RESENT, now=now, actor=actor
    )
    return True


def _build_message(*, document: Document, pdf: bytes) -> EmailMessage:
    with translation.override(document_language(document)):
        if document.is_credit_note:
            subject = _("Your credit note %(number)s") % {"number": document.number}
        else:
            subject = _("Your invoice %(number)s") % {"number": document.number}
        body = render_to_string(
            "invoices/emails/document.txt",
            {"document": document, "site_url": settings.SITE_URL},
        )
    message = EmailMessage(
        subject=subject, body=body, from_email=from_email(), to=[document.buyer_email]
    )
    message.attach(document.pdf_filename, pdf, "application/pdf")
    return message
