"""Can it be sold? A published product whose active prices can be bought nowhere is flagged in
the admin, and its sales page says so; the offline test checkout sells every active price."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import Order
from members.models import AccessGrant
from products.models import Price, Product
from tests.admin_forms import add_inline_row, admin_form_data
from tests.factories import PriceFactory, ProductFactory

pytestmark = pytest.mark.django_db

WARNING = "is published but cannot be sold"


@pytest.fixture
def live_site(settings):
    """DEBUG off: no offline test checkout."""
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = "sk_test_x"


@pytest.fixture
def offline_test_mode(settings, stripe_webhook_secret):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""


def change_url(product: Product) -> str:
    return reverse("admin:products_product_change", args=[product.pk])


def add_price(client, product: Product, *, stripe_price_id: str = ""):
    data = admin_form_data(client.get(change_url(product)))
    add_inline_row(
        data, "prices", amount="29", currency="EUR", billing_type="one_time", interval="",
        interval_count="1", trial_days="0", stripe_price_id=stripe_price_id, is_active="on",
    )  # fmt: skip
    return client.post(change_url(product), data, follow=True)


def test_saving_a_published_product_no_one_can_buy_warns(creator_client, live_site):
    product = ProductFactory(name="New course", is_published=True)

    response = add_price(creator_client, product)

    html = response.content.decode()
    assert f"“New course” {WARNING}" in html
    assert reverse("admin:connect_payments") in html
    assert Price.objects.get(product=product).amount == 2900


@pytest.mark.parametrize(
    ("stripe_price_id", "digistore24_product_id", "is_published"),
    [("price_new", "", True), ("", "12345", True), ("", "", False)],
)
def test_no_warning_when_it_can_be_sold_or_is_not_published(
    creator_client, live_site, stripe_price_id, digistore24_product_id, is_published
):
    product = ProductFactory(
        is_published=is_published, digistore24_product_id=digistore24_product_id
    )

    response = add_price(creator_client, product, stripe_price_id=stripe_price_id)

    assert WARNING not in response.content.decode()


def test_on_a_development_site_the_test_checkout_sells_it_and_the_admin_says_only_there(
    creator_client, offline_test_mode
):
    product = ProductFactory(name="New course")

    html = add_price(creator_client, product).content.decode()

    assert WARNING not in html
    assert "is sold only by the offline test checkout of this development site" in html


def test_product_list_flags_and_filters_what_cannot_be_sold(creator_client, live_site):
    PriceFactory(product__name="Orphan", stripe_price_id=None)
    PriceFactory(product__name="Stripe-sold")
    PriceFactory(product__name="Draft", product__is_published=False, stripe_price_id=None)
    PriceFactory(product__name="Retired", stripe_price_id=None, is_active=False)
    changelist = reverse("admin:products_product_changelist")

    everything = creator_client.get(changelist).content.decode()
    flagged = creator_client.get(changelist, {"sellable": "no"}).content.decode()

    assert everything.count("cannot be sold</strong>") == 1
    assert "Orphan" in flagged
    for name in ("Stripe-sold", "Draft", "Retired"):
        assert name not in flagged


def test_live_site_sales_page_says_plainly_it_is_not_on_sale(client, live_site):
    price = PriceFactory(product__name="New course", stripe_price_id=None)

    html = client.get(price.product.get_catalog_url()).content.decode()

    assert "Not on sale at the moment." in html
    assert "/billing/checkout/" not in html
    assert client.post(f"/billing/checkout/{price.pk}/").status_code == 404


def test_offline_test_checkout_sells_a_price_without_a_stripe_id(
    client, offline_test_mode, django_capture_on_commit_callbacks
):
    price = PriceFactory(product__name="New course", stripe_price_id=None, amount=2900)
    page = client.get(price.product.get_catalog_url()).content.decode()
    assert f'action="/billing/checkout/{price.pk}/"' in page
    assert "Not on sale" not in page

    checkout = client.post(f"/billing/checkout/{price.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(
            checkout.url, {"withdrawal_waiver": "on", "email": "ada@x.test", "name": "Ada"}
        )

    assert paid.status_code == 302
    grant = AccessGrant.objects.get(member__email="ada@x.test")
    assert grant.product == price.product
    order = Order.objects.get()
    assert (order.price, order.amount, order.is_test) == (price, 2900, True)


def test_offline_price_reference_means_nothing_on_a_live_site(
    client, settings, stripe_webhook_secret, django_capture_on_commit_callbacks
):
    """A signed event naming ``price_offline_<pk>`` grants nothing once DEBUG is off."""
    from billing.models import ProviderEvent
    from tests.conftest import STRIPE_URL, post_signed
    from tests.payloads.stripe import build_event

    settings.DEBUG = False
    price = PriceFactory(stripe_price_id=None)
    body = build_event(
        "checkout.session.completed", price_id=f"price_offline_{price.pk}", email="x@x.test"
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(client, STRIPE_URL, body)

    assert not AccessGrant.objects.exists()
    assert "unknown Stripe price id price_offline_" in ProviderEvent.objects.get().error
