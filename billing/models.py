"""Orders and payments. The Stripe issue adds the provider records around the Order."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from products.models import Price, Product


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        REFUNDED = "refunded", _("refunded")
        CHARGED_BACK = "charged_back", _("charged back")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    # A product that has orders cannot be deleted, only unpublished.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders")
    price = models.ForeignKey(
        Price, on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    provider = models.CharField(_("provider"), max_length=20)
    provider_ref = models.CharField(_("provider reference"), max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    amount = models.PositiveIntegerField(_("amount (minor units)"), default=0)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_ref"], name="order_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_ref}"
