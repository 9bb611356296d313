"""Duplicate a product (structure and prices, no provider ids) and preview a course as a member."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from members.models import AccessGrant, GrantEvent, LessonProgress
from products.models import Lesson, LessonAttachment, Module, Price, Product
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    PriceFactory,
    RecurringPriceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    product = CourseFactory(
        name="Bread", slug="bread", is_published=True, digistore24_product_id="12345"
    )
    PriceFactory(product=product, amount=4900, stripe_price_id="price_bread_once")
    RecurringPriceFactory(product=product, amount=900, stripe_price_id="price_bread_monthly")
    first = ModuleFactory(product=product, title="Basics", position=0)
    second = ModuleFactory(product=product, title="Sourdough", position=1)
    LessonFactory(module=first, title="Flour", position=0, drip_days=0)
    LessonFactory(module=first, title="Water", position=1, drip_days=2)
    lesson = LessonFactory(
        module=second, title="Starter", position=0, drip_days=None, opens_on=date(2026, 5, 1)
    )
    LessonAttachment.objects.create(lesson=lesson, title="Recipe", file="lesson-files/r.pdf")
    return product


def duplicate(client, product: Product):
    return client.post(
        reverse("admin:products_product_changelist"),
        {"action": "duplicate", "_selected_action": [str(product.pk)]},
        follow=True,
    )


def outline(product: Product) -> list[tuple]:
    return list(
        Lesson.objects.filter(module__product=product).values_list(
            "module__title", "module__position", "title", "position", "drip_days", "opens_on"
        )
    )


def test_duplicate_copies_structure_and_prices_unpublished_without_provider_ids(
    creator_client, course
):
    response = duplicate(creator_client, course)

    copy = Product.objects.exclude(pk=course.pk).get()
    assert (copy.name, copy.slug, copy.is_published, copy.kind) == (
        "Bread (copy)",
        "bread-copy",
        False,
        Product.Kind.COURSE,
    )
    assert copy.digistore24_product_id == ""
    assert outline(copy) == outline(course)
    assert sorted(
        Price.objects.filter(product=copy).values_list(
            "amount", "currency", "billing_type", "interval", "stripe_price_id"
        )
    ) == [(900, "EUR", "recurring", "month", None), (4900, "EUR", "one_time", "", None)]
    assert LessonAttachment.objects.filter(lesson__module__product=copy).count() == 1
    assert "Bread (copy)" in response.content.decode()
    # The original is untouched and still owns its Stripe prices.
    assert set(Price.objects.filter(product=course).values_list("stripe_price_id", flat=True)) == {
        "price_bread_once",
        "price_bread_monthly",
    }
    assert Module.objects.filter(product=course).count() == 2


def test_duplicating_twice_gives_two_unique_slugs(creator_client, course):
    duplicate(creator_client, course)
    duplicate(creator_client, course)

    slugs = set(Product.objects.exclude(pk=course.pk).values_list("slug", flat=True))
    assert slugs == {"bread-copy", "bread-copy-2"}


def preview_url(product: Product) -> str:
    return reverse("members:course_preview", args=[product.slug])


def test_staff_preview_shows_every_lesson_marked_as_preview_and_writes_nothing(
    creator_client, course, django_assert_max_num_queries
):
    course.is_published = False
    course.save()
    Lesson.objects.filter(title="Water").update(body="<p>Warm water<script>x()</script></p>")

    with django_assert_max_num_queries(8) as queries:
        response = creator_client.get(preview_url(course))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Preview: every lesson is shown open" in page
    for title in ("Flour", "Water", "Starter", "Recipe"):
        assert title in page
    assert "<p>Warm water</p>" in page
    assert "opens 2 days after purchase" in page
    assert not any(
        query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for query in queries.captured_queries
    )
    assert not any("members_accessgrant" in query["sql"] for query in queries.captured_queries)
    assert AccessGrant.objects.count() == GrantEvent.objects.count() == 0
    assert LessonProgress.objects.count() == 0


def test_a_member_cannot_preview(client, course):
    client.force_login(UserFactory())

    response = client.get(preview_url(course))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_a_visitor_cannot_preview(client, course):
    response = client.get(preview_url(course))

    assert response.status_code == 302
    assert "Flour" not in response.content.decode()


def test_preview_of_an_unknown_course_is_404(creator_client):
    assert creator_client.get(reverse("members:course_preview", args=["nope"])).status_code == 404
