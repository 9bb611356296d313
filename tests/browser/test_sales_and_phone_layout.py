"""In Debian's chromium: an owner's sales page, and a lesson on a phone (lesson before outline)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import PriceFactory
from tests.members.helpers import grant, make_course, make_member

pytestmark = pytest.mark.browser


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    page.locator('form[action="/accounts/login/"] button[type="submit"]').click()
    page.wait_for_url(f"{base}/members/")


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_lesson_comes_first_and_the_owner_sees_you_own_this(
    live_server,
    browser_page,
):
    from playwright.sync_api import expect

    course = make_course(days=(0, 3, 6))
    PriceFactory(product=course.product)
    member = make_member(email="ada@example.test")
    member.set_password("pw-browser-1")
    member.save()
    grant(member, course.product, starts_at=timezone.now())
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}{course.product.get_catalog_url()}")
    expect(page.get_by_role("button", name="Buy now")).to_be_visible()
    log_in(page, live_server.url, "ada@example.test", "pw-browser-1")
    page.goto(f"{live_server.url}{course.product.get_catalog_url()}")
    expect(page.get_by_text("You own this")).to_be_visible()
    expect(page.get_by_role("button", name="Buy now")).to_have_count(0)
    page.get_by_role("button", name="Open course").click()
    page.wait_for_url(f"{live_server.url}{course.product.get_absolute_url()}")

    page.goto(f"{live_server.url}{course.lessons[0].get_absolute_url()}")
    title = page.get_by_role("heading", level=1).bounding_box()
    outline = page.get_by_role("navigation", name="Course outline").bounding_box()
    assert title["y"] < outline["y"]  # the lesson first, the outline below it
    page.get_by_role("link", name="Course outline ↓").click()
    expect(page.get_by_role("navigation", name="Course outline")).to_be_in_viewport()
