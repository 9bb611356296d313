"""Can it be sold? The product list's column and filter, and the warning after saving."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from products.models import Product
from products.sellable import cannot_be_sold, only_test_checkout_sells, unsellable_products


class SellableFilter(admin.SimpleListFilter):
    title = _("can be sold")
    parameter_name = "sellable"

    def lookups(self, request, model_admin):
        return [("no", _("published, but cannot be sold"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return unsellable_products(queryset)
        return queryset


def sales_state(product: Product) -> str:
    """The list column: where the product stands, in two or three words (prefetched prices)."""
    if cannot_be_sold(product):
        return format_html("<strong>{}</strong>", _("cannot be sold"))
    if not product.is_published:
        return gettext("not published")
    if only_test_checkout_sells(product):
        return gettext("test checkout only")
    return gettext("on sale")


def warn_if_unsellable(request: HttpRequest, product: Product) -> None:
    """After saving (prices included): say plainly when buyers cannot pay for the product."""
    product = Product.objects.prefetch_related("prices").get(pk=product.pk)
    connect = reverse("admin:connect_payments")
    if cannot_be_sold(product):
        messages.warning(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                gettext(
                    "“%(name)s” is published but cannot be sold: none of its active prices has "
                    "a Stripe price id, and it has no Digistore24 product id. Its sales page "
                    "says it is not on sale."
                )
                % {"name": product.name},
                connect,
                gettext("Connect payments"),
            ),
        )
    elif product.is_published and only_test_checkout_sells(product):
        messages.info(
            request,
            gettext(
                "“%(name)s” is sold only by the offline test checkout of this development site; "
                "a live site needs a Stripe price id or a Digistore24 product id."
            )
            % {"name": product.name},
        )
