"""End to end in Debian's chromium, offline test mode: buy the membership with the test checkout,
"Manage subscription" (the local stand-in for Stripe's portal), cancel with a reason, and the
dashboard says until when access remains; then resume."""

from __future__ import annotations

import re

import pytest

from billing.models import CancellationFeedback, ProviderEvent, Subscription
from tests.factories import RecurringPriceFactory
from tests.members.helpers import make_member

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_member_cancels_in_test_mode_and_sees_until_when(
    live_server,
    browser_page,
    settings,
):
    from playwright.sync_api import expect

    settings.DEBUG = True  # offline test mode: a development site without a Stripe key
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    price = RecurringPriceFactory(
        product__name="Inner circle", product__slug="inner-circle", stripe_price_id="price_m"
    )
    member = make_member(email="ada@example.test", language="en", time_zone="UTC")
    member.set_password("pw-browser-1")
    member.save()
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill('input[name="login"]', "ada@example.test")
    page.fill('input[name="password"]', "pw-browser-1")
    page.locator('form[action="/accounts/login/"] button[type="submit"]').click()
    page.wait_for_url(f"{live_server.url}/members/")
    page.goto(f"{live_server.url}/billing/checkout/test/{price.pk}/")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))

    page.goto(f"{live_server.url}/members/")
    page.get_by_role("button", name="Manage subscription").click()
    expect(page.get_by_role("heading", name="Test customer portal")).to_be_visible()
    page.get_by_label("It is too expensive").check()
    page.get_by_label("Anything you would like to tell us?").fill("Back in spring.")
    page.get_by_role("button", name="Cancel at the end of the period").click()
    page.get_by_role("link", name="Return to the site").click()

    until = Subscription.objects.get().current_period_end.strftime("%-d %b %Y")
    state = page.locator(".subscription-state")
    expect(state).to_have_text(f"Cancelled. Your access continues until {until}.")
    feedback = CancellationFeedback.objects.get()
    assert (feedback.reason, feedback.detail) == ("too_expensive", "Back in spring.")
    assert ProviderEvent.objects.get(event_type="customer.subscription.updated").status == (
        "processed"
    )

    page.get_by_role("button", name="Resume subscription").click()
    expect(page.locator(".subscription-state")).to_have_text(f"Active. Next payment on {until}.")
