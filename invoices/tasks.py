"""Thin tasks: load by pk, call one service. Started after commit by the issuing services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def deliver_document(self, document_pk: int) -> None:
    """Render and store the PDF, then e-mail it to the buyer once (safe to repeat)."""
    from django.utils import timezone

    from invoices.delivery import send_document_email
    from invoices.models import Document, DocumentMail

    document = Document.objects.select_related("member", "corrects").get(pk=document_pk)
    send_document_email(document=document, reason=DocumentMail.Reason.ISSUED, now=timezone.now())


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def resend_document(self, document_pk: int, actor_pk: int | None = None) -> None:
    """The admin's "send again": one more e-mail with the PDF attached."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from invoices.delivery import send_document_email
    from invoices.models import Document, DocumentMail

    document = Document.objects.select_related("member", "corrects").get(pk=document_pk)
    actor = get_user_model().objects.filter(pk=actor_pk).first() if actor_pk else None
    send_document_email(
        document=document, reason=DocumentMail.Reason.RESENT, now=timezone.now(), actor=actor
    )
