from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import Order
from products.models import BundleItem, Lesson, Price, Product
from tests.admin_forms import add_inline_row, admin_form_data
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_recurring_price_without_interval_is_refused_with_a_clear_error(creator_client):
    product = ProductFactory(kind=Product.Kind.MEMBERSHIP)
    page = creator_client.get(change_url(product))
    data = admin_form_data(page)
    add_inline_row(
        data, "prices", amount="29", currency="EUR", billing_type="recurring", interval="",
        interval_count="1", trial_days="0", is_active="on",
    )  # fmt: skip

    response = creator_client.post(change_url(product), data)

    assert response.status_code == 200
    assert "A recurring price needs an interval." in response.content.decode()
    assert Price.objects.filter(product=product).count() == 0


def test_recurring_price_with_interval_is_saved(creator_client):
    product = ProductFactory(kind=Product.Kind.MEMBERSHIP)
    data = admin_form_data(creator_client.get(change_url(product)))
    add_inline_row(
        data, "prices", amount="29", currency="eur", billing_type="recurring",
        interval="month", interval_count="1", trial_days="7", stripe_price_id="price_abc",
        is_active="on",
    )  # fmt: skip

    response = creator_client.post(change_url(product), data)

    assert response.status_code == 302
    price = Price.objects.get(product=product)
    assert (price.amount, price.currency, price.interval, price.trial_days) == (
        2900,
        "EUR",
        "month",
        7,
    )


def test_bundle_cannot_contain_itself(creator_client):
    bundle = ProductFactory(kind=Product.Kind.BUNDLE)
    data = admin_form_data(creator_client.get(change_url(bundle)))
    add_inline_row(data, "bundle_items", product=str(bundle.pk))

    response = creator_client.post(change_url(bundle), data)

    assert response.status_code == 200
    assert "A bundle cannot contain itself." in response.content.decode()
    assert not BundleItem.objects.exists()


def test_bundle_contains_other_products(creator_client):
    bundle = ProductFactory(kind=Product.Kind.BUNDLE)
    ebook = ProductFactory()
    data = admin_form_data(creator_client.get(change_url(bundle)))
    add_inline_row(data, "bundle_items", product=str(ebook.pk))

    assert creator_client.post(change_url(bundle), data).status_code == 302
    assert list(BundleItem.objects.values_list("bundle", "product")) == [(bundle.pk, ebook.pk)]


def test_lesson_with_offset_and_fixed_date_is_refused(creator_client):
    module = ModuleFactory()
    data = admin_form_data(creator_client.get(change_url(module)))
    add_inline_row(
        data, "lessons", position="1", title="Both", drip_days="3", opens_on="2026-12-01"
    )

    response = creator_client.post(change_url(module), data)

    assert response.status_code == 200
    assert "A lesson opens after an offset or on a fixed date, not both." in (
        response.content.decode()
    )
    assert not Lesson.objects.filter(module=module).exists()


def test_drip_preview_lists_when_each_lesson_opens(creator_client):
    course = CourseFactory(name="Habits")
    module = ModuleFactory(product=course, title="Week one")
    LessonFactory(module=module, title="Start", position=1, drip_days=0)
    LessonFactory(module=module, title="Stack", position=2, drip_days=3)
    LessonFactory(module=module, title="Chain", position=3, drip_days=6)

    html = creator_client.get(change_url(course)).content.decode()

    assert "<td>1</td><td>Week one</td><td>Start</td><td>opens at once on purchase</td>" in html
    assert "<td>3</td><td>Week one</td><td>Chain</td><td>opens 6 days after purchase</td>" in html


def test_product_with_orders_cannot_be_deleted_only_unpublished(creator_client):
    product = ProductFactory(name="Sold ebook")
    Order.objects.create(
        member=UserFactory(), product=product, provider="stripe", provider_ref="cs_1",
        amount=4900, currency="EUR",
    )  # fmt: skip
    delete_url = reverse("admin:products_product_delete", args=[product.pk])

    page = creator_client.get(delete_url).content.decode()
    creator_client.post(delete_url, {"post": "yes"})

    assert "would require deleting the following protected related objects" in page
    assert Product.objects.filter(pk=product.pk).exists()

    creator_client.post(
        reverse("admin:products_product_changelist"),
        {"action": "unpublish", "_selected_action": [product.pk]},
    )
    product.refresh_from_db()
    assert product.is_published is False


def test_product_without_orders_can_be_deleted(creator_client):
    product = ProductFactory()
    delete_url = reverse("admin:products_product_delete", args=[product.pk])

    creator_client.post(delete_url, {"post": "yes"})

    assert not Product.objects.filter(pk=product.pk).exists()


def test_admin_search_finds_product_by_stripe_price_id(creator_client):
    ProductFactory(name="Needle").prices.create(amount=100, stripe_price_id="price_needle")
    ProductFactory(name="Haystack")

    html = creator_client.get(
        reverse("admin:products_product_changelist"), {"q": "price_needle"}
    ).content.decode()

    assert "Needle" in html
    assert "Haystack" not in html
