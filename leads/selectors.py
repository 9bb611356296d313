"""Reads of the lead magnets: which products take sign-ups, and the counts for the funnel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from leads.models import SignUp, SignUpTally
from products.models import Product


def accepts_signups(product: Product) -> bool:
    """A free product, of any kind: published, no active price above 0, and either an active
    price of 0 or no paid price at all.

    A paid product whose prices were all switched off (taken off sale, its buyers keeping
    access) is not free: without that last rule its page offered it for an e-mail address.
    The one place that decides where the sign-up form appears and which products a sign-up
    may claim; a membership's "free tier" (issue 18) widens it here.
    """
    if not product.is_published:
        return False
    prices = getattr(product, "active_prices", None)
    if prices is None:
        prices = list(product.prices.filter(is_active=True))
    if any(price.amount > 0 for price in prices):
        return False
    if prices:  # an active price of 0: free on purpose
        return True
    return not product.prices.filter(amount__gt=0).exists()  # never sold for money


def signup_product(*, slug: str) -> Product | None:
    product = Product.objects.filter(slug=slug).first()
    if product is None or not accepts_signups(product):
        return None
    return product


@dataclass(frozen=True)
class SignUpDay:
    product_id: int
    day: date
    signups: int
    confirmations: int


def signup_counts(
    *, since: date, until: date, product_ids: list[int] | None = None
) -> list[SignUpDay]:
    """Sign-ups and confirmations per product and day (site time zone), ``since`` to ``until``
    inclusive: one query, kept after pending sign-ups are deleted. For the funnel report."""
    rows = SignUpTally.objects.filter(day__gte=since, day__lte=until)
    if product_ids is not None:
        rows = rows.filter(product_id__in=product_ids)
    return [
        SignUpDay(row.product_id, row.day, row.signups, row.confirmations)
        for row in rows.order_by("day", "product_id")
    ]


def confirmed_signups(
    *, since: datetime, until: datetime, product_ids: list[int] | None = None
) -> QuerySet[SignUp]:
    """Confirmed sign-ups in ``[since, until)`` with their member: who came in through which
    lead magnet and when (e.g. to find their first purchase afterwards)."""
    rows = SignUp.objects.filter(confirmed_at__gte=since, confirmed_at__lt=until)
    if product_ids is not None:
        rows = rows.filter(product_id__in=product_ids)
    return rows.select_related("member", "product").order_by("confirmed_at", "pk")
