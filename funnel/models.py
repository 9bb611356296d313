"""Page visits for the funnel: a count per product sales page and day, nothing else.

No visitor is identified: no cookie is set, no IP address, user agent or account is stored. A
row is a product, a day in the site's time zone (settings.TIME_ZONE) and a number.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PageVisitDay(models.Model):
    product = models.ForeignKey(
        "products.Product",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("product"),
    )
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("page views"), default=0)

    class Meta:
        verbose_name = _("page visits per day")
        verbose_name_plural = _("page visits per day")
        constraints = [
            models.UniqueConstraint(fields=["product", "day"], name="page_visit_day_once"),
        ]
        indexes = [models.Index(fields=["day"], name="page_visit_day_idx")]
        permissions = [("view_funnel_report", _("Can view the funnel report"))]

    def __str__(self) -> str:
        return f"{self.product_id} {self.day}: {self.count}"
