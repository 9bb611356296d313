"""Plans a member may switch between: the recurring prices of the products of one group."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from products.models import Product


class PlanGroup(models.Model):
    """Products that replace one another as plans (basic, premium): a member on one of them
    may change to the active recurring prices of the others from the member area."""

    name = models.CharField(_("name"), max_length=100)
    products = models.ManyToManyField(
        Product, related_name="plan_groups", verbose_name=_("products"), blank=True
    )

    class Meta:
        verbose_name = _("plan group")
        verbose_name_plural = _("plan groups")

    def __str__(self) -> str:
        return self.name
