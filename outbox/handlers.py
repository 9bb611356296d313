"""What each kind of outgoing message does: a dotted path to a function of its app.

Each handler is called as ``handler(**payload, now=now)`` inside the transaction that holds the
row's lock, and returns True when it sent (or rendered) something, False when there was nothing
left to do (already sent by its own guard, or no longer true: e.g. access was restored before
the "payment failed" e-mail went out). It raises to fail; the outbox keeps the error and retries.
The paths are imported on use, because the apps import the outbox to enqueue.
"""

from __future__ import annotations

from outbox.models import OutboxMessage

Kind = OutboxMessage.Kind

HANDLERS: dict[str, str] = {
    Kind.ORDER_EMAIL: "billing.emails.send_order_email",
    Kind.PAYMENT_FAILED_EMAIL: "billing.emails.send_payment_failed_email",
    Kind.DOCUMENT_PDF: "invoices.delivery.render_document",
    Kind.DOCUMENT_EMAIL: "invoices.delivery.email_issued_document",
    Kind.DOCUMENT_RESEND: "invoices.delivery.email_document_again",
    Kind.LESSON_NOTICE: "drip.emails.send_lesson_notice_email",
    Kind.LAPSE_EMAIL: "drip.emails.send_lapse_email",
    Kind.LOGIN_LINK_EMAIL: "members.login_links.send_login_link_email",
    Kind.ORDER_EMAIL_AGAIN: "billing.emails.send_order_email_again",
    Kind.UPGRADE_OFFER_EMAIL: "members.upgrade.send_upgrade_offer_email",
    Kind.LEAD_CONFIRMATION_EMAIL: "leads.emails.send_signup_confirmation",
    Kind.SEQUENCE_EMAIL: "sequences.emails.send_sequence_email",
    Kind.ERASURE_CONFIRMATION_EMAIL: "privacy.emails.send_erasure_confirmation",
}
