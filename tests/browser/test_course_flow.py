"""End to end in Debian's chromium: log in, open the course, see lesson 2 locked with its date,
complete lesson 1 and watch the progress bar move (htmx)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateformat import format as format_date

from tests.members.helpers import grant, make_course, make_member

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_member_completes_lesson_one_and_sees_progress_move(live_server, browser_page):
    from playwright.sync_api import expect

    course = make_course(days=(0, 3, 6))
    member = make_member(time_zone="America/Los_Angeles", email="ada@example.test")
    member.set_password("pw-browser-1")
    member.save()
    access = grant(member, course.product, starts_at=timezone.now())
    local_start = access.starts_at.astimezone(member.zone).date()
    lesson_two_date = format_date(local_start + timedelta(days=3), "j M")
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="login"]', "ada@example.test")
    page.fill('input[name="password"]', "pw-browser-1")
    page.locator('form[action="/accounts/login/"] button[type="submit"]').click()
    page.wait_for_url(f"{live_server.url}/members/")

    page.click(f'a[href="{course.product.get_absolute_url()}"]')
    lesson_two = page.locator(f'li[data-lesson="{course.lessons[1].pk}"]')
    expect(lesson_two).to_have_class("lesson-row locked")
    expect(lesson_two).to_contain_text(f"opens on {lesson_two_date}")
    expect(lesson_two.locator("a")).to_have_count(0)

    page.click(f'a[href="{course.lessons[0].get_absolute_url()}"]')
    bar = page.get_by_role("progressbar", name="Course progress")
    lesson_one = page.locator(f'li[data-lesson="{course.lessons[0].pk}"]')
    expect(bar).to_have_attribute("value", "0")
    expect(lesson_one).to_have_class("lesson-row open current")
    page.evaluate("window.samePage = true")
    page.get_by_role("button", name="Mark complete").click()

    expect(bar).to_have_attribute("value", "33")
    expect(lesson_one).to_have_class("lesson-row done current")  # the outline follows (htmx oob)
    expect(lesson_one).to_contain_text("done")
    expect(page.get_by_text("1 of 3 lessons done (33%)")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as not complete")).to_be_visible()
    assert page.evaluate("window.samePage === true")  # htmx swapped it in: no page load
    if os.environ.get("BROWSER_SCREENSHOT"):
        page.screenshot(path=os.environ["BROWSER_SCREENSHOT"], full_page=True)
