"""The admin's funnel page in Debian's chromium at 1280 and 375 px: the steps as a table, no
sideways scroll of the page (a wide table scrolls inside its box). Screenshots land in
``var/screenshots/admin-funnel-*.png``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from funnel.models import PageVisitDay
from offers.models import Coupon
from offers.services import redeem_coupon
from tests.browser.helpers import save_screenshot
from tests.factories import PriceFactory, UserFactory
from tests.funnel.helpers import paid_order

pytestmark = pytest.mark.browser


def build_figures(today: date) -> None:
    checklist = PriceFactory(product__name="Starter checklist (free)", amount=0).product
    workbook = PriceFactory(product__name="Calm money workbook", amount=1900).product
    PageVisitDay.objects.create(product=checklist, day=today, count=412)
    PageVisitDay.objects.create(product=workbook, day=today - timedelta(days=2), count=97)
    now = timezone.now()
    coupon = Coupon.objects.create(code="SPRING", percent_off=20, max_redemptions=2)
    for number in range(7):
        member = UserFactory(email=f"buyer{number}@example.test")
        at = now - timedelta(hours=number)
        order = paid_order(member=member, product=workbook, at=at, amount=1900)
        if number < 3:  # the third is over the limit
            redeem_coupon(coupon=coupon, order=order, amount=380, currency="EUR", now=at)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 375])
def test_the_funnel_page(live_server, browser_page, django_user_model, width):
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    build_figures(timezone.localdate())
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "creator@example.test")
    page.fill("#id_password", "pw-creator-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/funnel/pagevisitday/report/")

    assert page.locator("h1").inner_text() == "Funnel report"
    row = page.locator('#funnel-steps tr[data-step="visitors"] td').first
    assert row.inner_text() == "509"
    coupons = page.locator('#funnel-coupons tr[data-currency="EUR"] td')
    assert coupons.all_inner_texts() == ["2", "1", "€11.40"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, f"admin-funnel-{width}.png", full_page=True)
