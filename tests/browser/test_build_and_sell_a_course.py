"""Issue 14's acceptance path in Debian's chromium, offline test mode.

As the creator (a superuser) in the admin: create a course, build it on the builder page with two
modules and four lessons (one drag), drip days 0, 2 and 5 and a fixed date, type the price as "29",
publish. Then, as a new buyer in a fresh browser context: buy it at the local test checkout (signed
Stripe-shaped events through our own webhook), log in with the link from the mail, and see the
outline open lesson by lesson on the right days, then two days later (time-machine) lesson 2 open.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateformat import format as format_date

from members.models import AccessGrant
from products.models import Lesson, Price, Product

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s\"'<>]+/login/[^\s\"'<>]+/[^\s\"'<>]+/")


def drag_above(page, *, moved, target) -> None:
    """Drag a lesson by its handle onto the top edge of another (SortableJS follows the mouse)."""
    start, end = moved.locator(".lesson-handle").bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 10, end["y"] + end["height"] / 2, steps=5)
    page.mouse.move(end["x"] + 10, end["y"] + 3, steps=5)
    page.mouse.up()


@pytest.mark.django_db(transaction=True)
def test_creator_builds_prices_and_publishes_a_course_a_buyer_sees_it_drip(
    live_server,
    chromium,
    settings,
    mailoutbox,
    django_user_model,
):
    from playwright.sync_api import expect

    settings.DEBUG = True  # offline test mode: a development site without a Stripe key
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    base = live_server.url
    today = timezone.localdate()
    fixed = today + timedelta(days=9)

    # --- The creator, in the admin.
    creator = chromium.new_context(viewport={"width": 1280, "height": 900})
    creator.set_default_timeout(15_000)
    page = creator.new_page()
    page.goto(f"{base}/admin/login/")
    page.fill('input[name="username"]', "creator@example.test")
    page.fill('input[name="password"]', "pw-creator-1")
    page.click('input[type="submit"]')
    page.goto(f"{base}/admin/products/product/add/")
    page.locator("#id_name").fill("Baking bread")
    page.locator("#id_name").press("Tab")  # Django's prepopulate.js fills the slug on change
    expect(page.locator("#id_slug")).to_have_value("baking-bread")
    page.locator("#id_kind").select_option("course")
    page.locator("#prices-group .add-row a").click()
    page.locator("#id_prices-0-amount").fill("29")
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    product = Product.objects.get(slug="baking-bread")
    assert list(product.prices.values_list("amount", "currency")) == [(2900, "EUR")]
    assert not product.is_published

    page.get_by_role("link", name="Course builder").click()
    for title in ("Basics", "Sourdough"):
        page.get_by_label("Module title").fill(title)
        page.get_by_role("button", name="Add module").click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    for module, title, days, opens_on in [
        ("Basics", "Water", "2", ""),
        ("Basics", "Flour", "0", ""),
        ("Sourdough", "Starter", "5", ""),
        ("Sourdough", "Live bake", "", fixed.isoformat()),
    ]:
        page.locator("#id_lesson-module").select_option(label=module)
        page.get_by_label("Lesson title").fill(title)
        page.get_by_label("opens after (days)").fill(days)
        if opens_on:
            page.get_by_label("or on a fixed date").fill(opens_on)
        page.get_by_role("button", name="Add lesson").click()
        expect(page.locator(".builder-lesson", has_text=title)).to_be_visible()
    lesson_rows = page.locator(".builder-lesson")
    drag_above(page, moved=lesson_rows.filter(has_text="Flour"), target=lesson_rows.first)
    expect(page.get_by_role("status")).to_have_text("Order saved.")
    lessons = Lesson.objects.filter(module__product=product)
    assert list(lessons.values_list("title", "drip_days", "opens_on")) == [
        ("Flour", 0, None),
        ("Water", 2, None),
        ("Starter", 5, None),
        ("Live bake", None, fixed),
    ]

    page.goto(f"{base}/admin/products/product/{product.pk}/change/")
    expect(page.locator("#id_prices-0-amount")).to_have_value("29.00")
    page.locator("#id_is_published").check()
    page.locator('input[name="_save"]').click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.goto(f"{base}/admin/products/product/")
    expect(page.locator("#result_list")).to_contain_text("€29.00")
    creator.close()

    # --- A new buyer, in a fresh browser context (no admin session).
    buyer = chromium.new_context()
    buyer.set_default_timeout(15_000)
    page = buyer.new_page()
    page.goto(f"{base}{product.get_catalog_url()}")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_label("E-mail address").fill("ben@example.test")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))
    grant = AccessGrant.objects.get(member__email="ben@example.test")
    assert grant.product == product
    assert Price.objects.get(product=product).amount == 2900

    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Email me a login link").click()
    page.get_by_label("E-mail address").fill("ben@example.test")
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    link = [LINK.search(m.body) for m in mailoutbox if "ben@example.test" in m.to][-1].group(0)
    page.goto(base + "/" + link.split("://", 1)[1].split("/", 1)[1])  # SITE_URL → live server
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Skip for now").click()
    page.wait_for_url(f"{base}/members/")

    page.click(f'a[href="{product.get_absolute_url()}"]')
    start = grant.starts_at.astimezone(grant.member.zone).date()
    row = {lesson.title: page.locator(f'li[data-lesson="{lesson.pk}"]') for lesson in lessons}
    expect(row["Flour"]).to_have_class(re.compile(r"\bopen\b"))
    expect(row["Flour"].locator("a")).to_have_count(1)
    for title, opens in [
        ("Water", start + timedelta(days=2)),
        ("Starter", start + timedelta(days=5)),
        ("Live bake", fixed),
    ]:
        expect(row[title]).to_have_class(re.compile(r"\blocked\b"))
        expect(row[title]).to_contain_text(f"opens on {format_date(opens, 'j M')}")
        expect(row[title].locator("a")).to_have_count(0)

    # Two days on (time-machine moves the clock of the whole process, live server included).
    with time_machine.travel(grant.starts_at + timedelta(days=2, hours=1), tick=True):
        page.reload()
        expect(row["Water"]).to_have_class(re.compile(r"\bopen\b"))
        expect(row["Water"].locator("a")).to_have_count(1)
        expect(row["Starter"]).to_have_class(re.compile(r"\blocked\b"))
    buyer.close()
