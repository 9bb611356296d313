"""Issue 12's acceptance path, end to end in Debian's chromium, offline test mode.

A visitor buys the membership at the local test checkout (signed Stripe-shaped events through our
own webhook: a Stripe test-mode subscription, a member without a password). Then, as that buyer:
login page → "Email me a login link" → the mail → its link → its button → dashboard → "Manage
subscription" (the local stand-in for Stripe's portal) → cancel with a reason → the dashboard says
until when access remains; and the product page shows "You own this".
"""

from __future__ import annotations

import re

import pytest

from billing.models import CancellationFeedback, Subscription
from tests.factories import RecurringPriceFactory

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s\"'<>]+/login/[^\s\"'<>]+/[^\s\"'<>]+/")


@pytest.mark.django_db(transaction=True)
def test_a_buyer_logs_in_by_link_cancels_with_a_reason_and_sees_until_when(
    live_server,
    browser_page,
    settings,
    mailoutbox,
):
    from playwright.sync_api import expect

    settings.DEBUG = True  # offline test mode: a development site without a Stripe key
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    price = RecurringPriceFactory(
        product__name="Inner circle", product__slug="inner-circle", stripe_price_id="price_m"
    )
    page = browser_page
    base = live_server.url

    # The purchase, the real way: the test checkout page delivers signed events to our webhook.
    page.goto(f"{base}{price.product.get_catalog_url()}")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))
    subscription = Subscription.objects.get()
    assert (subscription.provider, subscription.order.is_test) == ("stripe", True)
    assert not subscription.member.has_usable_password()
    mailoutbox.clear()

    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Email me a login link").click()
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    [mail] = [m for m in mailoutbox if "ada@example.test" in m.to]
    link = LINK.search(mail.body).group(0)
    page.goto(base + "/" + link.split("://", 1)[1].split("/", 1)[1])  # SITE_URL → live server
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Skip for now").click()  # no password yet: offered, not forced
    page.wait_for_url(f"{base}/members/")

    page.get_by_role("button", name="Manage subscription").click()
    expect(page.get_by_role("heading", name="Test customer portal")).to_be_visible()
    page.get_by_label("It is too expensive").check()
    page.get_by_label("Anything you would like to tell us?").fill("Back in spring.")
    page.get_by_role("button", name="Cancel at the end of the period").click()
    page.get_by_role("link", name="Return to the site").click()
    page.wait_for_url(f"{base}/members/")

    subscription.refresh_from_db()
    # The page dates in the member's zone (Berlin here): from 23:00 UTC on, a day after UTC's.
    period_end = subscription.current_period_end.astimezone(subscription.member.zone)
    until = period_end.strftime("%-d %b %Y")
    expect(page.locator(".subscription-state")).to_have_text(
        f"Cancelled. Your access continues until {until}."
    )
    assert subscription.cancel_at_period_end
    feedback = CancellationFeedback.objects.get()
    assert (feedback.reason, feedback.detail) == ("too_expensive", "Back in spring.")

    page.goto(f"{base}{price.product.get_catalog_url()}")
    expect(page.get_by_text("You own this")).to_be_visible()
    expect(page.get_by_role("button", name="Subscribe")).to_have_count(0)
