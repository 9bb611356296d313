"""End to end in Debian's chromium, offline test mode: a member on the basic plan opens "Change
plan", picks the premium plan, confirms, and the dashboard shows the premium product (access
moved by the signed webhook the offline checkout sends). Screenshots at desktop and 375 px."""

from __future__ import annotations

import re
import time

import pytest

from billing.models import PlanGroup
from members.models import AccessGrant
from tests.browser.helpers import save_screenshot
from tests.factories import RecurringPriceFactory
from tests.members.helpers import make_member

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_member_upgrades_in_test_mode_and_access_follows(live_server, browser_page, settings):
    from playwright.sync_api import expect

    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    basic = RecurringPriceFactory(
        product__name="Basic circle", product__slug="basic-circle", product__kind="membership",
        stripe_price_id="price_basic", amount=1900,
    )  # fmt: skip
    premium = RecurringPriceFactory(
        product__name="Premium circle", product__slug="premium-circle",
        product__kind="membership", stripe_price_id="price_premium", amount=4900,
    )  # fmt: skip
    group = PlanGroup.objects.create(name="Circles")
    group.products.add(basic.product, premium.product)
    member = make_member(email="ada@example.test", language="en", time_zone="UTC")
    member.set_password("pw-browser-1")
    member.save()
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="login"]', "ada@example.test")
    page.fill('input[name="password"]', "pw-browser-1")
    page.locator('form[action="/accounts/login/"] button[type="submit"]').click()
    page.wait_for_url(f"{live_server.url}/members/")
    page.goto(f"{live_server.url}/billing/checkout/test/{basic.pk}/")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))

    page.goto(f"{live_server.url}/members/profile/")
    page.get_by_role("button", name="Change plan").click()
    expect(page.get_by_role("heading", name="Change plan: Basic circle")).to_be_visible()
    save_screenshot(page, "change_plan_desktop.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    save_screenshot(page, "change_plan_375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label(re.compile("Premium circle")).check()
    page.get_by_label("Yes, change my plan").check()
    page.get_by_role("button", name="Change plan").click()
    page.wait_for_url(f"{live_server.url}/members/profile/")
    expect(page.get_by_text("Your plan is changing to Premium circle.")).to_be_visible()
    save_screenshot(page, "change_plan_done_desktop.png", full_page=True)

    live = AccessGrant.objects.filter(state=AccessGrant.State.ACTIVE)
    assert [grant.product.slug for grant in live] == ["premium-circle"]
    page.goto(f"{live_server.url}/members/")
    expect(page.get_by_role("heading", name="Premium circle").first).to_be_visible()

    # Stripe pauses payment collection: the billing line says so (phone width).
    from billing.models import Subscription
    from billing.providers import stripe_test_checkout as offline

    obj = offline.subscription_object(Subscription.objects.get(), cancel_at_period_end=False)
    obj["pause_collection"] = {"behavior": "mark_uncollectible", "resumes_at": None}
    offline.deliver(
        offline._envelope("customer.subscription.updated", obj, created=int(time.time()))
    )
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/members/profile/")
    expect(page.locator(".subscription-state")).to_contain_text("Paused since")
    save_screenshot(page, "paused_375.png", full_page=True)
