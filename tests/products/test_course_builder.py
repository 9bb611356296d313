"""The course builder: one page with modules and lessons, new items last, drag-and-drop order."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from products.models import Lesson, Module, Product
from tests.admin_forms import add_inline_row, admin_form_data
from tests.factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory

pytestmark = pytest.mark.django_db


def builder_url(product: Product) -> str:
    return reverse("admin:products_product_builder", args=[product.pk])


def order_url(product: Product) -> str:
    return reverse("admin:products_product_builder_order", args=[product.pk])


def post_order(client, product: Product, modules: list[int], lessons: dict[int, list[int]]):
    body = json.dumps({"modules": modules, "lessons": lessons})
    return client.post(order_url(product), body, content_type="application/json")


def test_builder_adds_a_module_and_a_lesson_last_without_leaving_the_page(creator_client):
    course = CourseFactory()
    first = ModuleFactory(product=course, title="Start", position=4)
    LessonFactory(module=first, title="Welcome", position=7)

    response = creator_client.post(
        builder_url(course), {"add_module": "1", "module-title": "Deeper"}, follow=True
    )
    added_module = Module.objects.get(title="Deeper")
    creator_client.post(
        builder_url(course),
        {
            "add_lesson": "1",
            "lesson-module": str(first.pk),
            "lesson-title": "Second lesson",
            "lesson-drip_days": "2",
        },
    )

    assert response.status_code == 200
    assert added_module.position == 5
    added_lesson = Lesson.objects.get(title="Second lesson")
    assert (added_lesson.module, added_lesson.position, added_lesson.drip_days) == (first, 8, 2)
    page = creator_client.get(builder_url(course)).content.decode()
    assert page.index("Welcome") < page.index("Second lesson") < page.index("Deeper")


def test_builder_lesson_with_a_fixed_date_has_no_offset(creator_client):
    course = CourseFactory()
    module = ModuleFactory(product=course)

    creator_client.post(
        builder_url(course),
        {
            "add_lesson": "1",
            "lesson-module": str(module.pk),
            "lesson-title": "Live call",
            "lesson-opens_on": "2026-12-24",
        },
    )

    lesson = Lesson.objects.get(title="Live call")
    assert (lesson.drip_days, lesson.opens_on) == (None, date(2026, 12, 24))


def test_builder_refuses_a_lesson_for_another_courses_module(creator_client):
    course = CourseFactory()
    ModuleFactory(product=course)
    foreign = ModuleFactory(product=CourseFactory())

    response = creator_client.post(
        builder_url(course),
        {"add_lesson": "1", "lesson-module": str(foreign.pk), "lesson-title": "Sneaky"},
    )

    assert response.status_code == 400
    assert not Lesson.objects.filter(title="Sneaky").exists()


def test_lessons_added_in_the_module_admin_go_last(creator_client):
    module = ModuleFactory()
    LessonFactory(module=module, title="First", position=3)
    url = reverse("admin:products_module_change", args=[module.pk])
    data = admin_form_data(creator_client.get(url))
    add_inline_row(data, "lessons", title="Added", drip_days="0")

    assert creator_client.post(url, data).status_code == 302

    assert Lesson.objects.get(title="Added").position == 4


def test_modules_added_on_the_product_page_go_last(creator_client):
    course = CourseFactory()
    ModuleFactory(product=course, position=2)
    url = reverse("admin:products_product_change", args=[course.pk])
    data = admin_form_data(creator_client.get(url))
    add_inline_row(data, "modules", title="Added")

    assert creator_client.post(url, data).status_code == 302

    assert Module.objects.get(title="Added").position == 3


def test_reorder_persists_modules_and_moves_a_lesson_to_another_module(creator_client):
    course = CourseFactory()
    one, two = ModuleFactory(product=course, position=0), ModuleFactory(product=course, position=1)
    a, b = LessonFactory(module=one, position=0), LessonFactory(module=one, position=1)
    c = LessonFactory(module=two, position=0)

    response = post_order(
        creator_client, course, [two.pk, one.pk], {two.pk: [b.pk, c.pk], one.pk: [a.pk]}
    )

    assert response.status_code == 200
    assert list(Module.objects.filter(product=course).order_by("position")) == [two, one]
    assert [(lesson.module, lesson.title) for lesson in Lesson.objects.filter(
        module__product=course
    )] == [(two, b.title), (two, c.title), (one, a.title)]  # fmt: skip


def test_reorder_naming_another_courses_lesson_changes_nothing(creator_client):
    course = CourseFactory()
    module = ModuleFactory(product=course)
    mine = LessonFactory(module=module, position=0)
    theirs = LessonFactory(position=5)

    response = post_order(creator_client, course, [module.pk], {module.pk: [theirs.pk, mine.pk]})

    assert response.status_code == 400
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.module_id, theirs.position, mine.position) != (module.pk, 0, 1)
    assert (theirs.position, mine.position) == (5, 0)


def test_reorder_naming_another_courses_module_changes_nothing(creator_client):
    course = CourseFactory()
    mine = ModuleFactory(product=course, position=0)
    theirs = ModuleFactory(position=9)

    response = post_order(creator_client, course, [theirs.pk, mine.pk], {})

    assert response.status_code == 400
    theirs.refresh_from_db()
    assert theirs.position == 9


def test_reorder_refuses_garbage_and_get(creator_client):
    course = CourseFactory()

    bad = creator_client.post(order_url(course), "not json", content_type="application/json")

    assert bad.status_code == 400
    assert creator_client.get(order_url(course)).status_code == 405


def test_builder_is_for_staff_only(client):
    course = CourseFactory()
    client.force_login(UserFactory())

    response = post_order(client, course, [], {})

    assert response.status_code == 302  # to the admin login
    assert client.get(builder_url(course)).status_code == 302


@time_machine.travel(datetime(2026, 3, 10, 23, 30, tzinfo=UTC), tick=False)  # 11 March in Berlin
def test_each_lesson_row_shows_its_drip_setting_and_opening_for_a_buyer_today(
    creator_client, settings
):
    settings.TIME_ZONE = "Europe/Berlin"
    course = CourseFactory()
    module = ModuleFactory(product=course)
    LessonFactory(module=module, title="Now", drip_days=0)
    LessonFactory(module=module, title="Later", drip_days=5)
    LessonFactory(module=module, title="Fixed", drip_days=None, opens_on=date(2026, 4, 1))

    page = creator_client.get(builder_url(course)).content.decode()

    assert 'datetime="2026-03-11"' in page
    assert "opens 5 days after purchase" in page
    assert 'datetime="2026-03-16"' in page
    assert "opens on 2026-04-01" in page
    assert 'datetime="2026-04-01"' in page
    assert "opens at once on purchase" in page


def test_the_course_change_page_links_to_the_builder_and_the_preview(creator_client):
    course = CourseFactory()

    page = creator_client.get(reverse("admin:products_product_change", args=[course.pk]))

    assert builder_url(course) in page.content.decode()
    assert reverse("members:course_preview", args=[course.slug]) in page.content.decode()


def test_builder_runs_a_fixed_number_of_queries(creator_client, django_assert_max_num_queries):
    course = CourseFactory()
    for _ in range(5):
        module = ModuleFactory(product=course)
        LessonFactory.create_batch(4, module=module)

    with django_assert_max_num_queries(12):
        assert creator_client.get(builder_url(course)).status_code == 200
