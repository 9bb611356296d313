"""A buyer takes the one-click upsell on the success page in Debian's chromium (offline test
mode): the offer, then the workbook granted through the signed test event. Screenshots at 1280
and 375 px; no serious axe-core violation."""

from __future__ import annotations

import re

import pytest

from members.models import AccessGrant
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS
from tests.factories import CourseFactory, PriceFactory
from tests.invoices.helpers import make_seller
from tests.offers.upsell_helpers import make_upsell

pytestmark = pytest.mark.browser


def shoot(page, name: str) -> list[str]:
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, f"upsell-{name}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    problems = [f"{name}: axe {found}" for found in page.evaluate(AXE_SERIOUS)]
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.django_db(transaction=True)
def test_a_buyer_takes_the_upsell_with_one_click(live_server, browser_page, settings):
    from playwright.sync_api import expect

    settings.DEBUG = True  # offline test mode
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    make_seller()
    price = PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course", is_published=True),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )
    offer = make_upsell(price)
    offer.description = "Forty pages of exercises that go with every lesson of the course."
    offer.save()
    page = browser_page
    problems: list[str] = []

    page.goto(f"{live_server.url}/billing/checkout/test/{price.pk}/")
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))
    expect(page.get_by_role("heading", name="Add Workbook for €9.00")).to_be_visible()
    problems += shoot(page, "offer")

    page.get_by_role("button", name="Yes, add it for €9.00").click()
    expect(page.get_by_text("Workbook is yours.")).to_be_visible()
    problems += shoot(page, "taken")

    assert AccessGrant.objects.filter(product__slug="workbook").count() == 1
    assert problems == []
