"""Prices are typed and shown in major units with their currency; stored in minor units."""

from __future__ import annotations

import pytest
from django.urls import reverse

from products.models import Price, Product
from tests.admin_forms import add_inline_row, admin_form_data
from tests.factories import PriceFactory, ProductFactory

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def change_url(product: Product) -> str:
    return reverse("admin:products_product_change", args=[product.pk])


def post_price(client, product: Product, *, amount: str, currency: str = "EUR", **headers):
    data = admin_form_data(client.get(change_url(product), **headers))
    add_inline_row(
        data, "prices", amount=amount, currency=currency, billing_type="one_time", interval="",
        interval_count="1", trial_days="0", stripe_price_id="price_typed", is_active="on",
    )  # fmt: skip
    return client.post(change_url(product), data, **headers)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("29", 2900), ("29.90", 2990), ("€29", 2900), ("1,234.50", 123450), ("0", 0)],
)
def test_typed_amount_is_stored_in_cents(creator_client, typed, stored):
    product = ProductFactory()

    response = post_price(creator_client, product, amount=typed)

    assert response.status_code == 302
    assert Price.objects.get(product=product).amount == stored


@pytest.mark.parametrize(
    ("typed", "stored"), [("29,90", 2990), ("29", 2900), ("1.234,50", 123450), ("29,9", 2990)]
)
def test_german_admin_accepts_a_decimal_comma(creator_client, typed, stored):
    product = ProductFactory()

    response = post_price(creator_client, product, amount=typed, **GERMAN)

    assert response.status_code == 302
    assert Price.objects.get(product=product).amount == stored


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("-29", "Enter an amount of 0 or more."),
        ("twenty", "Enter an amount such as 29 or 29.90."),
        ("29,90", "Enter an amount such as 29 or 29.90."),  # English: a comma is ambiguous
        ("29.999", "Enter at most 2 digits after the decimal point."),
        ("99999999999", "This amount is too large."),
    ],
)
def test_bad_amount_is_a_form_error_and_nothing_is_saved(creator_client, typed, error):
    product = ProductFactory()

    response = post_price(creator_client, product, amount=typed)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Price.objects.filter(product=product).exists()


def test_negative_amount_in_german_is_refused_in_german(creator_client):
    product = ProductFactory()

    response = post_price(creator_client, product, amount="-29,90", **GERMAN)

    assert response.status_code == 200
    assert "Gib einen Betrag von 0 oder mehr ein." in response.content.decode()
    assert not Price.objects.filter(product=product).exists()


def test_yen_have_no_minor_unit(creator_client):
    product = ProductFactory()

    assert post_price(creator_client, product, amount="2900", currency="JPY").status_code == 302
    assert Price.objects.get(product=product).amount == 2900

    other = ProductFactory()
    response = post_price(creator_client, other, amount="29.50", currency="jpy")
    assert "JPY has no cents: enter a whole amount." in response.content.decode()
    assert not Price.objects.filter(product=other).exists()


def test_saved_price_is_shown_in_major_units_and_survives_an_unchanged_save(creator_client):
    price = PriceFactory(amount=2990, currency="EUR")
    yen = PriceFactory(product=price.product, amount=2900, currency="JPY")
    page = creator_client.get(change_url(price.product))
    html = page.content.decode()

    assert 'value="29.90"' in html
    assert 'value="2900"' in html  # yen: the whole amount
    assert creator_client.post(change_url(price.product), admin_form_data(page)).status_code == 302
    price.refresh_from_db()
    yen.refresh_from_db()
    assert (price.amount, yen.amount) == (2990, 2900)

    german = creator_client.get(change_url(price.product), **GERMAN).content.decode()
    assert 'value="29,90"' in german


def test_product_list_shows_prices_as_money(creator_client):
    PriceFactory(product__name="Workbook", amount=4900, currency="EUR")

    html = creator_client.get(reverse("admin:products_product_changelist")).content.decode()

    assert "€49.00" in html
    assert "4900" not in html
