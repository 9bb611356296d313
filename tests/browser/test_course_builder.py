"""The creator builds a course on the builder page: two modules, four lessons, one drag."""

from __future__ import annotations

import os
from datetime import date

import pytest

from products.models import Lesson
from tests.factories import CourseFactory

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_creator_builds_a_course_and_reorders_it_by_drag_and_drop(
    live_server,
    browser_page,
    django_user_model,
):
    from playwright.sync_api import expect

    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    course = CourseFactory(name="Baking bread", slug="baking-bread", is_published=False)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill('input[name="username"]', "creator@example.test")
    page.fill('input[name="password"]', "pw-creator-1")
    page.click('input[type="submit"]')
    page.goto(f"{live_server.url}/admin/products/product/{course.pk}/change/")
    page.get_by_role("link", name="Course builder").click()

    for title in ("Basics", "Sourdough"):
        page.get_by_label("Module title").fill(title)
        page.get_by_role("button", name="Add module").click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    lessons = [
        ("Basics", "Flour", "0", ""),
        ("Basics", "Water", "2", ""),
        ("Sourdough", "Starter", "5", ""),
        ("Sourdough", "Live bake", "", "2030-06-01"),
    ]
    for module, title, days, fixed in lessons:
        page.locator("#id_lesson-module").select_option(label=module)
        page.get_by_label("Lesson title").fill(title)
        page.get_by_label("opens after (days)").fill(days)
        if fixed:
            page.get_by_label("or on a fixed date").fill(fixed)
        page.get_by_role("button", name="Add lesson").click()
        expect(page.locator(".builder-lesson", has_text=title)).to_be_visible()

    expect(page.locator(".builder-lesson", has_text="Water")).to_contain_text(
        "opens 2 days after purchase"
    )
    expect(page.locator(".builder-lesson", has_text="Live bake")).to_contain_text(
        "opens on 2030-06-01"
    )
    # Drag "Water" above "Flour".
    water = page.locator(".builder-lesson", has_text="Water").locator(".lesson-handle")
    flour = page.locator(".builder-lesson", has_text="Flour")
    start, target = water.bounding_box(), flour.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 10, target["y"] + target["height"] / 2, steps=5)
    page.mouse.move(target["x"] + 10, target["y"] + 3, steps=5)
    page.mouse.up()
    expect(page.get_by_role("status")).to_have_text("Order saved.")

    order = list(Lesson.objects.filter(module__product=course).values_list("title", flat=True))
    assert order == ["Water", "Flour", "Starter", "Live bake"]
    assert list(
        Lesson.objects.filter(module__product=course).values_list("drip_days", "opens_on")
    ) == [(2, None), (0, None), (5, None), (None, date(2030, 6, 1))]
    page.reload()
    titles = page.locator(".builder-lesson td:nth-child(2)").all_inner_texts()
    assert [title.strip() for title in titles] == ["Water", "Flour", "Starter", "Live bake"]
    shots = os.environ.get("BROWSER_SCREENSHOT")
    if shots:
        page.screenshot(path=shots, full_page=True)

    # The lesson's text is written in the rich-text editor and read back in the preview.
    page.locator(".builder-lesson", has_text="Water").get_by_role("link").click()
    editor = page.locator(".ProseMirror:visible").first
    editor.click()
    page.keyboard.type("Use lukewarm water.")
    if shots:
        page.screenshot(path=shots.replace(".png", "-lesson.png"), full_page=True)
    page.locator('input[name="_save"]').click()
    assert "lukewarm" in Lesson.objects.get(title="Water").body
    page.goto(f"{live_server.url}/members/preview/{course.slug}/")
    expect(page.get_by_text("Use lukewarm water.")).to_be_visible()
    expect(page.locator(".preview-banner")).to_be_visible()
    if shots:
        page.screenshot(path=shots.replace(".png", "-preview.png"), full_page=True)
