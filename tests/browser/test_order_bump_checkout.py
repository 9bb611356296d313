"""A buyer ticks the order bump in Debian's chromium (offline test mode): the buy box shows the
checkbox, the test checkout keeps it ticked, and the purchase grants both products with one
invoice of two lines. Screenshots at 1280 and 375 px; no serious axe-core violation."""

from __future__ import annotations

import re

import pytest

from invoices.models import Document
from members.models import AccessGrant
from offers.models import OrderBump
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS
from tests.factories import CourseFactory, PriceFactory, ProductFactory
from tests.invoices.helpers import make_seller

pytestmark = pytest.mark.browser


def shoot(page, name: str) -> list[str]:
    problems = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, f"bump-{name}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    problems.extend(f"{name}: axe {found}" for found in page.evaluate(AXE_SERIOUS))
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.django_db(transaction=True)
def test_a_buyer_takes_the_order_bump(live_server, browser_page, settings):
    from playwright.sync_api import expect

    settings.DEBUG = True  # offline test mode: a development site without a Stripe key
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    make_seller()
    price = PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course", is_published=True),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )
    OrderBump.objects.create(
        product=price.product,
        bump_product=ProductFactory(name="Habit workbook", is_published=True),
        amount=900,
        currency="EUR",
    )
    page = browser_page
    problems: list[str] = []

    page.goto(f"{live_server.url}/products/habit-course/")
    box = page.get_by_label("Add Habit workbook for €9.00")
    expect(box).not_to_be_checked()
    box.check()
    problems += shoot(page, "product")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(re.compile(r"/billing/checkout/test/"))
    expect(page.get_by_label("Add Habit workbook for €9.00")).to_be_checked()
    page.get_by_label("E-mail address").fill("ada@example.test")
    problems += shoot(page, "test-checkout")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))

    assert set(AccessGrant.objects.values_list("product__name", flat=True)) == {
        "Habit course",
        "Habit workbook",
    }
    invoice = Document.objects.get()
    assert [line.gross for line in invoice.lines.all()] == [4900, 900]
    assert problems == []
