"""Read-only queries on the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from products.models import Lesson, Price, Product


def published_products() -> QuerySet[Product]:
    active_prices = Price.objects.filter(is_active=True).order_by("amount")
    return Product.objects.filter(is_published=True).prefetch_related(
        Prefetch("prices", queryset=active_prices, to_attr="active_prices")
    )


def product_by_stripe_price_id(stripe_price_id: str) -> Price | None:
    return Price.objects.select_related("product").filter(stripe_price_id=stripe_price_id).first()


def products_granted_by(product: Product) -> list[Product]:
    """A bundle grants each product in it; any other product grants itself."""
    if product.kind != Product.Kind.BUNDLE:
        return [product]
    return [item.product for item in product.bundle_items.select_related("product")]


@dataclass(frozen=True)
class DripPreviewRow:
    number: int
    module: str
    lesson: str
    opens: str


def describe_opening(*, drip_days: int | None, opens_on: date | None) -> str:
    if opens_on is not None:
        return _("opens on %(date)s") % {"date": opens_on.isoformat()}
    days = drip_days or 0
    if days == 0:
        return _("opens at once on purchase")
    return ngettext(
        "opens %(days)d day after purchase", "opens %(days)d days after purchase", days
    ) % {"days": days}


def drip_preview(product: Product) -> list[DripPreviewRow]:
    """The course's lessons in order with when each opens, for the admin's read-only preview."""
    lessons = Lesson.objects.filter(module__product=product).select_related("module")
    return [
        DripPreviewRow(
            number=number,
            module=lesson.module.title,
            lesson=lesson.title,
            opens=describe_opening(drip_days=lesson.drip_days, opens_on=lesson.opens_on),
        )
        for number, lesson in enumerate(lessons, start=1)
    ]
