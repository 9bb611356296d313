"""Invoice tasks. The VAT id checks (issue 19) are queued after commit and by beat. The document
tasks are legacy, no longer queued: documents are rendered and e-mailed through the outbox
(``outbox.tasks.send_outbox_messages``, handlers in ``invoices.delivery``). They stay registered
so that copies queued before the upgrade still run; each is safe to repeat as before."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def deliver_document(self, document_pk: int) -> None:
    """Render and store the PDF, then e-mail it to the buyer once (safe to repeat)."""
    from django.utils import timezone

    from invoices.delivery import email_issued_document

    email_issued_document(document_pk=document_pk, now=timezone.now())


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def resend_document(self, document_pk: int, actor_pk: int | None = None) -> None:
    """The admin's "send again": one more e-mail with the PDF attached."""
    from django.utils import timezone

    from invoices.delivery import email_document_again

    email_document_again(document_pk=document_pk, actor_pk=actor_pk, now=timezone.now())


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def check_vat_id(self, check_pk: int) -> None:
    """Ask VIES about a business buyer's VAT id and issue the invoice waiting for it."""
    from django.utils import timezone

    from invoices.vat_checks import run_vat_id_check

    run_vat_id_check(check_pk=check_pk, now=timezone.now())


@shared_task(acks_late=True)
def retry_vat_id_checks() -> int:
    """Beat: ask VIES again where it was down, once each check's backoff has passed."""
    from django.utils import timezone

    from invoices.vat_checks import retry_vat_id_checks as retry

    return retry(now=timezone.now())
