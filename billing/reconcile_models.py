"""Reconcile runs, their findings, and the audit rows of each fix (imported by billing.models)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models import AppendOnlyModel, audit_actor_field


class ReconcileRun(models.Model):
    """One comparison of our grants and subscriptions with a provider's state."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    provider = models.CharField(_("provider"), max_length=20)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    error = models.TextField(_("error"), blank=True)
    checked = models.PositiveIntegerField(_("subscriptions checked"), default=0)

    class Meta:
        verbose_name = _("reconcile run")
        verbose_name_plural = _("reconcile runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class ReconcileFinding(models.Model):
    """A difference between the provider and us, with the evidence; written once per run."""

    class Kind(models.TextChoices):
        PAID_NO_ACCESS = "paid_no_access", _("paid, no access")
        ACCESS_NOT_PAYING = "access_not_paying", _("access, not paying")

    class Fix(models.TextChoices):
        NONE = "", _("no automatic fix")
        REPLAY_INVOICE_PAID = "replay_invoice_paid", _("replay the paid invoice")
        REPLAY_SUBSCRIPTION_ENDED = "replay_subscription_ended", _("replay the subscription end")
        REPROCESS_EVENT = "reprocess_event", _("process the stored IPN again")

    run = models.ForeignKey(ReconcileRun, on_delete=models.CASCADE, related_name="findings")
    provider = models.CharField(_("provider"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject_ref = models.CharField(
        _("provider reference"), max_length=255, help_text=_("sub_…, or a Digistore24 order id")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(_("summary"), max_length=300)
    evidence = models.JSONField(_("evidence"), default=dict)
    fix = models.CharField(_("fix"), max_length=30, choices=Fix.choices, blank=True)
    # What the fix replays: a provider object as listed (Stripe), or an event pk (Digistore24).
    fix_payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("reconcile finding")
        verbose_name_plural = _("reconcile findings")
        ordering = ["run_id", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_ref}"

    @property
    def is_fixed(self) -> bool:
        return any(fix.succeeded for fix in self.fixes.all())


class ReconcileFix(AppendOnlyModel):
    """The audit row of one fix: who applied it, what it replayed and what that did."""

    finding = models.ForeignKey(ReconcileFinding, on_delete=models.PROTECT, related_name="fixes")
    at = models.DateTimeField(_("at"))
    actor = audit_actor_field(_("The admin who applied the fix; empty from the command line."))
    source_event = models.ForeignKey(
        "billing.ProviderEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reconcile_fixes",
    )
    succeeded = models.BooleanField(_("succeeded"), default=False)
    result = models.CharField(_("result"), max_length=500)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("reconcile fix")
        verbose_name_plural = _("reconcile fixes")

    def __str__(self) -> str:
        return f"{self.finding_id} fixed at {self.at:%Y-%m-%d %H:%M}"
