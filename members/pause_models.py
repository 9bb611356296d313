"""The pause ledger: when a paused subscription stopped a grant's clocks, and when it resumed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models import AccessGrant


class GrantPause(models.Model):
    """One pause of a grant: ``ended_at`` is empty while it lasts (at most one open per grant).

    The grant row carries the sums (``paused_since``, ``paused_total``) that pages and the drip
    sweep read; these rows say when and why, for support and ``manage.py explain``.
    """

    grant = models.ForeignKey(AccessGrant, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(_("paused at"))
    ended_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source_event = models.ForeignKey(
        "billing.ProviderEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("grant pause")
        verbose_name_plural = _("grant pauses")
        constraints = [
            models.UniqueConstraint(
                fields=["grant"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_pause_per_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grant_id} paused {self.started_at:%Y-%m-%d}"
