"""One notice row per member and lesson: the "new lesson available" e-mail goes out once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from membership_site.model_loading import FastFromDb


class LessonNotice(FastFromDb, models.Model):
    """A lesson opened for a member. The unique pair makes a second notice impossible.

    The row is written when the drip sweep sees the lesson open, whether or not an e-mail goes
    out (``skipped``: the member opted out, or the lesson was open at purchase). It is also the
    stable record that the lesson opened for the member (see ``members.access``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_notices"
    )
    lesson = models.ForeignKey("products.Lesson", on_delete=models.CASCADE, related_name="notices")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    opened_at = models.DateTimeField(_("lesson opened at"))
    created_at = models.DateTimeField(_("recorded at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson notice")
        verbose_name_plural = _("lesson notices")
        constraints = [
            models.UniqueConstraint(fields=["member", "lesson"], name="lesson_notice_once"),
        ]
        indexes = [
            models.Index(
                fields=["status"],
                name="lesson_notice_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.lesson_id} ({self.status})"
