"""Which catalog rows a provider's references name: Stripe price ids or Digistore24 product ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from products.models import Price, Product
from products.sellable import offline_price_pk


@dataclass(frozen=True)
class Purchase:
    product: Product
    price: Price | None


def _stripe_prices(refs: tuple[str, ...]) -> dict[str, Price]:
    """Prices by Stripe price id, and by the offline test checkout's own reference while that
    checkout is available (a development site selling a price that has no Stripe id yet)."""
    prices = {
        price.stripe_price_id: price
        for price in Price.objects.select_related("product").filter(stripe_price_id__in=refs)
    }
    offline = {offline_price_pk(ref): ref for ref in refs if offline_price_pk(ref) is not None}
    if offline:
        for price in Price.objects.select_related("product").filter(pk__in=offline):
            prices[offline[price.pk]] = price
    return prices


def _stripe(refs: tuple[str, ...], currency: str) -> list[Purchase]:
    prices = _stripe_prices(refs)
    purchases = []
    for ref in refs:
        price = prices.get(ref)
        if price is None:
            raise ValueError(
                f"unknown Stripe price id {ref}: set it as the Stripe price id of a price "
                "in the admin, then reprocess this event"
            )
        if currency and price.currency.upper() != currency.upper():
            raise ValueError(
                f"currency {currency.upper()} does not match Stripe price {ref} "
                f"({price.currency.upper()})"
            )
        purchases.append(Purchase(product=price.product, price=price))
    return purchases


def _digistore24(refs: tuple[str, ...], currency: str) -> list[Purchase]:
    products = {
        product.digistore24_product_id: product
        for product in Product.objects.filter(digistore24_product_id__in=refs)
    }
    purchases = []
    for ref in refs:
        product = products.get(ref)
        if product is None:
            raise ValueError(
                f"unknown Digistore24 product id {ref}: set it on a product in the admin, "
                "then reprocess this event"
            )
        price = product.prices.filter(is_active=True, currency__iexact=currency).first()
        purchases.append(Purchase(product=product, price=price))
    return purchases


RESOLVERS: dict[str, Callable[[tuple[str, ...], str], list[Purchase]]] = {
    "stripe": _stripe,
    "digistore24": _digistore24,
}


def resolve_purchases(*, provider: str, refs: tuple[str, ...], currency: str) -> list[Purchase]:
    """The products (and prices) an event pays for; ValueError names an unknown reference."""
    if not refs:
        raise ValueError(f"the {provider} event names no price or product")
    try:
        resolver = RESOLVERS[provider]
    except KeyError:
        raise ValueError(f"no catalog lookup for provider {provider!r}") from None
    return resolver(tuple(dict.fromkeys(refs)), currency)
