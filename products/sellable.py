"""Can it be sold? Where a buyer can pay for a price: one rule for the admin and the sales page.

A price is on sale through Stripe when it has a Stripe price id, through Digistore24 when its
product has a Digistore24 product id, and through the offline test checkout on a development
site (DEBUG on, no ``STRIPE_SECRET_KEY``) whatever ids it has. A published product whose active
prices are on sale nowhere cannot be bought: the admin warns, and the sales page says so.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from products.models import Price, Product

# The price reference the offline test checkout uses for a price without a Stripe price id.
# Only the test checkout signs events carrying it, and only while it is available.
OFFLINE_PRICE_PREFIX = "price_offline_"


def test_checkout_is_available() -> bool:
    """Offline test mode: a development site (DEBUG on) without a Stripe API key."""
    return bool(settings.DEBUG and not settings.STRIPE_SECRET_KEY)


def offline_price_ref(price: Price) -> str:
    """The price reference the test checkout puts into its events: the Stripe id if any."""
    return price.stripe_price_id or f"{OFFLINE_PRICE_PREFIX}{price.pk}"


def offline_price_pk(ref: str) -> int | None:
    """The price pk in an offline reference while the test checkout is available; else None."""
    if not ref.startswith(OFFLINE_PRICE_PREFIX) or not test_checkout_is_available():
        return None
    number = ref.removeprefix(OFFLINE_PRICE_PREFIX)
    return int(number) if number.isdigit() else None


def has_checkout_button(price: Price) -> bool:
    """The sales page offers a buy button for this active price (Stripe or the test checkout)."""
    return bool(price.stripe_price_id) or test_checkout_is_available()


def sellable_prices(product: Product) -> list[Price]:
    """The product's active prices a buyer can pay somewhere (uses prefetched prices)."""
    active = [price for price in product.prices.all() if price.is_active]
    if product.digistore24_product_id or test_checkout_is_available():
        return active
    return [price for price in active if price.stripe_price_id]


def cannot_be_sold(product: Product) -> bool:
    """Published, with active prices, and none of them can be bought anywhere."""
    if not product.is_published:
        return False
    has_active_price = any(price.is_active for price in product.prices.all())
    return has_active_price and not sellable_prices(product)


def only_test_checkout_sells(product: Product) -> bool:
    """Sold on this development site only by the offline test checkout (a live site would not)."""
    if not test_checkout_is_available() or product.digistore24_product_id:
        return False
    active = [price for price in product.prices.all() if price.is_active]
    return bool(active) and not any(price.stripe_price_id for price in active)


def unsellable_products(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """``cannot_be_sold`` as a filter, for the admin list."""
    if test_checkout_is_available():
        return queryset.none()
    active = Price.objects.filter(product=OuterRef("pk"), is_active=True)
    return queryset.filter(
        Exists(active),
        ~Exists(active.exclude(Q(stripe_price_id=None) | Q(stripe_price_id=""))),
        Q(digistore24_product_id="") | Q(digistore24_product_id__isnull=True),
        is_published=True,
    )
