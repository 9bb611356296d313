from __future__ import annotations

import pytest

from billing import stripe_api
from tests.billing.stripe_stub import FakeStripeHTTP
from tests.factories import (
    BundleItemFactory,
    CourseFactory,
    PriceFactory,
    ProductFactory,
    RecurringPriceFactory,
)


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


@pytest.fixture
def membership(membership_price):
    """The monthly membership, sold through Digistore24 too (product id 510003)."""
    product = membership_price.product
    product.digistore24_product_id = "510003"
    product.save(update_fields=["digistore24_product_id"])
    return product


@pytest.fixture
def bundle_price(db):
    bundle = ProductFactory(name="Starter bundle", slug="starter-bundle", kind="bundle")
    BundleItemFactory(bundle=bundle, product=ProductFactory(name="Workbook", slug="workbook"))
    BundleItemFactory(bundle=bundle, product=CourseFactory(name="Mini course", slug="mini"))
    return PriceFactory(product=bundle, stripe_price_id="price_bundle", amount=5900)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; every test starts without any."""
    from django.core.cache import cache

    cache.clear()
