"""Issue 16 item 1 in Debian's chromium: a visitor claims the free lead magnet on its sales page,
opens the confirmation link from the e-mail, presses the button and lands logged in on the
product in the member area. Screenshots of the form (also with an error), "check your inbox"
and the confirm page at 1280 and 375 px land in ``var/screenshots/`` (or ``$SCREENSHOTS_DIR``);
each page has one h1, no sideways scroll and no serious or critical axe-core violation."""

from __future__ import annotations

import re

import pytest

from leads.models import Consent
from members.models import AccessGrant
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS, PAGE_FACTS
from tests.leads.helpers import free_product, link_path

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)


def look_at(page, name: str) -> list[str]:
    """Screenshots at each width; what is wrong with the page (empty when all is well)."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        facts = page.evaluate(PAGE_FACTS)
        if facts["scrollWidth"] > facts["innerWidth"]:
            problems.append(f"{name} @{width}: scrolls sideways")
        if facts["h1s"] != 1:
            problems.append(f"{name} @{width}: {facts['h1s']} h1 elements")
        save_screenshot(page, f"lead-{name}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    problems.extend(f"{name}: axe {found}" for found in page.evaluate(AXE_SERIOUS))
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.django_db(transaction=True)
def test_a_visitor_claims_the_lead_magnet_confirms_and_lands_in_the_member_area(
    live_server, browser_page, mailoutbox
):
    from playwright.sync_api import expect

    product = free_product()
    page = browser_page
    base = live_server.url
    problems = []

    page.goto(f"{base}{product.get_catalog_url()}")
    expect(page.get_by_text("Free", exact=True)).to_be_visible()
    # The honeypot is not there for a person: not visible, not in the accessibility tree.
    expect(page.locator("#id_website")).not_to_be_in_viewport()
    expect(page.get_by_role("textbox", name="Leave this field empty")).to_have_count(0)
    problems += look_at(page, "form")

    # Forgetting the box: a clear message, on the sign-up page of its own.
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_role("button", name="Send it to me").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Tick the box to agree, or we cannot send it to you."
    )
    problems += look_at(page, "form-error")
    assert mailoutbox == []

    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_label("First name (optional)").fill("Ada")
    page.get_by_label("I agree to receive this free product").check()
    page.get_by_role("button", name="Send it to me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    problems += look_at(page, "check-inbox")
    assert not AccessGrant.objects.exists()

    (message,) = mailoutbox
    page.goto(base + link_path(message))  # SITE_URL → the live server
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your address")
    problems += look_at(page, "confirm")
    assert not AccessGrant.objects.exists()  # opening the link grants nothing

    page.get_by_role("button", name="Confirm and get “Starter checklist (free)”").click()
    page.wait_for_url(re.compile(rf"{re.escape(product.get_absolute_url())}$"))
    expect(page.get_by_role("status")).to_contain_text(
        "Your address is confirmed: “Starter checklist (free)” is now in your products."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Starter checklist")
    problems += look_at(page, "member-product")

    # The link again, from another browser: used, and the form offers a new one.
    other = page.context.browser.new_page()
    other.goto(base + link_path(message))
    expect(other.get_by_role("heading", level=1)).to_have_text("This link has been used already")
    expect(other.get_by_role("button", name="Send me a new link")).to_be_visible()
    problems += look_at(other, "link-used")
    other.close()

    grant = AccessGrant.objects.get()
    assert (grant.member.email, grant.source) == ("ada@example.test", "free")
    assert Consent.objects.get().text.startswith("I agree to receive this free product")
    assert problems == []
