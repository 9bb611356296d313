"""The outbox: one row per side effect that must happen after a commit (an e-mail, a PDF).

The row is written in the transaction that changed the state, so it exists exactly when the
change does. Its task sends it after commit; a periodic job sends what a lost task left behind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A side effect to carry out once: ``kind`` names it, ``payload`` holds the ids it needs."""

    class Kind(models.TextChoices):
        ORDER_EMAIL = "order_email", _("welcome / purchase e-mail")
        PAYMENT_FAILED_EMAIL = "payment_failed_email", _("payment failed e-mail")
        DOCUMENT_PDF = "document_pdf", _("invoice or credit note PDF")
        DOCUMENT_EMAIL = "document_email", _("invoice or credit note e-mail")
        DOCUMENT_RESEND = "document_resend", _("invoice or credit note sent again")
        LESSON_NOTICE = "lesson_notice", _("new lesson e-mail")
        LAPSE_EMAIL = "lapse_email", _("access ended e-mail")
        LOGIN_LINK_EMAIL = "login_link_email", _("login link e-mail")
        ORDER_EMAIL_AGAIN = "order_email_again", _("welcome e-mail sent again (support)")
        UPGRADE_OFFER_EMAIL = "upgrade_offer_email", _("upgrade offer e-mail")
        LEAD_CONFIRMATION_EMAIL = "lead_confirmation_email", _("sign-up confirmation e-mail")
        SEQUENCE_EMAIL = "sequence_email", _("sequence e-mail (marketing)")
        ERASURE_CONFIRMATION_EMAIL = "erasure_confirmation", _("account deletion confirmation")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("nothing to send")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    payload = models.JSONField(_("payload"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("member"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    due_at = models.DateTimeField(
        _("next pick-up"),
        help_text=_("If still pending then, the periodic job sends it."),
    )
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="outbox_pending_due_idx",
                condition=models.Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"
