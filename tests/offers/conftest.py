from __future__ import annotations

from decimal import Decimal

import pytest

from billing import stripe_api
from offers.models import Coupon, CouponAmount
from tests.billing.stripe_stub import FakeStripeHTTP
from tests.factories import CourseFactory, PriceFactory, RecurringPriceFactory


@pytest.fixture
def stripe_http(settings):
    """Stripe's API is configured and answered by a stub of its HTTP layer."""
    settings.STRIPE_SECRET_KEY = "sk_test_stubbed"
    fake = FakeStripeHTTP()
    stripe_api.use_http_client(fake)
    yield fake
    stripe_api.use_http_client(None)


@pytest.fixture
def course_price(db):
    return PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course"),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )


@pytest.fixture
def membership_price(db):
    return RecurringPriceFactory(
        product__name="Inner circle",
        product__slug="inner-circle",
        stripe_price_id="price_monthly",
        amount=2900,
        currency="EUR",
    )


def make_coupon(code: str = "SPRING20", *, amounts: dict | None = None, products=(), **fields):
    """A percent coupon (20 %) unless ``kind="fixed"`` with ``amounts={"EUR": 500}``."""
    if amounts is not None:
        fields.setdefault("kind", Coupon.Kind.FIXED)
    else:
        fields.setdefault("percent_off", Decimal("20"))
    coupon = Coupon.objects.create(code=code, **fields)
    for currency, amount in (amounts or {}).items():
        CouponAmount.objects.create(coupon=coupon, currency=currency, amount=amount)
    coupon.products.set(products)
    return coupon


@pytest.fixture
def bump(course_price):
    """The course's order bump: its workbook for 9.00 EUR."""
    from offers.models import OrderBump
    from tests.factories import ProductFactory

    return OrderBump.objects.create(
        product=course_price.product,
        bump_product=ProductFactory(name="Habit workbook", slug="habit-workbook"),
        amount=900,
        currency="EUR",
    )
