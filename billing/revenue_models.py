"""What the creator's figures need and the rest of billing does not keep: when money went back
(refunds and lost disputes, by the day they happened) and how each subscription's monthly
recurring revenue moved (new, expansion, contraction, churn, reactivation).

Both are append-only ledgers written by the services that handle the event, in its transaction.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentReversal(models.Model):
    """Money given back on a payment: a refund (each newly refunded amount) or a lost dispute."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("refund")
        CHARGEBACK = "chargeback", _("chargeback")

    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, related_name="reversals"
    )
    # Copies of the payment's order, product and provider, so the dashboard groups refunds and
    # chargebacks by product and provider without joining every payment (bench/dashboard.py).
    order = models.ForeignKey(
        "billing.Order", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "products.Product",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("product"),
    )
    provider = models.CharField(_("provider"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    vat = models.PositiveIntegerField(_("VAT in the amount (minor units)"), default=0)
    currency = models.CharField(_("currency"), max_length=3)
    is_test = models.BooleanField(_("test mode"), default=False)
    occurred_at = models.DateTimeField(_("happened at"))

    class Meta:
        verbose_name = _("refund or chargeback")
        verbose_name_plural = _("refunds and chargebacks")
        indexes = [models.Index(fields=["occurred_at"], name="reversal_occurred_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}"

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.payment_id is not None:
            self.copy_payment_fields()
        super().save(*args, **kwargs)

    def copy_payment_fields(self) -> None:
        """Take the order, product and provider from the payment (bulk_create does not save)."""
        payment = self.payment
        self.order_id = payment.order_id
        self.product_id = payment.product_id
        self.provider = payment.provider


class SubscriptionMovement(models.Model):
    """A change of a subscription's paying MRR (minor units a month, signed ``mrr_delta``)."""

    class Kind(models.TextChoices):
        NEW = "new", _("new")
        EXPANSION = "expansion", _("expansion")
        CONTRACTION = "contraction", _("contraction")
        CHURN = "churn", _("churn")
        REACTIVATION = "reactivation", _("reactivation")

    subscription = models.ForeignKey(
        "billing.Subscription", on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    mrr_delta = models.IntegerField(_("MRR change (minor units a month)"))
    currency = models.CharField(_("currency"), max_length=3)
    is_test = models.BooleanField(_("test mode"), default=False)
    occurred_at = models.DateTimeField(_("happened at"))

    class Meta:
        verbose_name = _("MRR movement")
        verbose_name_plural = _("MRR movements")
        indexes = [models.Index(fields=["occurred_at"], name="movement_occurred_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.mrr_delta:+d} {self.currency}"
