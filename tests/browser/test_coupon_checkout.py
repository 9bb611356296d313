"""A buyer uses a coupon in Debian's chromium (offline test mode): a wrong code is refused on the
product page with the reason and the code kept in its field; the right one, prefilled by a
``?coupon=`` link, shows its discount on the test checkout and the purchase is recorded with it.
Screenshots at 1280 and 375 px; no serious axe-core violation."""

from __future__ import annotations

import re

import pytest

from billing.models import Order
from offers.models import Redemption
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS
from tests.factories import CourseFactory, PriceFactory
from tests.invoices.helpers import make_seller
from tests.offers.conftest import make_coupon

pytestmark = pytest.mark.browser


def shoot(page, name: str) -> list[str]:
    """Screenshots at both widths; axe's serious findings at the phone width."""
    problems = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, f"coupon-{name}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    problems.extend(f"{name}: axe {found}" for found in page.evaluate(AXE_SERIOUS))
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.django_db(transaction=True)
def test_a_buyer_is_refused_a_wrong_code_then_pays_with_the_right_one(
    live_server, browser_page, settings
):
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
    make_coupon("SPRING20", products=[price.product], max_redemptions=100)
    page = browser_page
    problems: list[str] = []

    page.goto(f"{live_server.url}/products/habit-course/?coupon=SPRNG20")
    field = page.get_by_label("Coupon code (optional)")
    expect(field).to_have_value("SPRNG20")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(re.compile(r"/billing/checkout/test/"))
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    expect(page.locator(".field-error")).to_have_text("The code SPRNG20 is not valid.")
    problems += shoot(page, "refused")
    assert not Order.objects.exists()

    page.get_by_label("Coupon code (optional)").fill("spring20")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))

    page.goto(f"{live_server.url}/products/habit-course/?coupon=spring20")
    problems += shoot(page, "product")
    page.goto(f"{live_server.url}/billing/checkout/test/{price.pk}/?coupon=spring20")
    expect(page.locator(".coupon-applied")).to_have_text(
        "The code SPRING20 takes €9.80 off: you pay €39.20."
    )
    problems += shoot(page, "applied")

    assert Order.objects.get().amount == 3920
    assert Redemption.objects.get().coupon.code == "SPRING20"
    assert problems == []
