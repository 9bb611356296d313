"""The member's magazine in chromium at 375 and 1280 px: the issues page of a basic member
(open posts and the back catalogue still waiting) and a premium post with its video and file.
No sideways scroll, one h1, no serious axe-core violation; screenshots land in
``var/screenshots/`` (or ``$SCREENSHOTS_DIR``) as ``magazine-*.png``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from magazine.demo import seed_demo_magazine
from magazine.models import Post
from products.demo import seed_demo_catalog
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS, PAGE_FACTS
from tests.members.helpers import grant, make_member

pytestmark = pytest.mark.browser
PASSWORD = "pw-magazine-1"


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/members/")


def member(email: str, product, *, joined):
    person = make_member(email=email, name="Ada Lovelace")
    person.set_password(PASSWORD)
    person.save()
    grant(person, product, starts_at=joined)
    return person


def look(page, url: str, name: str) -> list[str]:
    problems = []
    page.goto(url)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        facts = page.evaluate(PAGE_FACTS)
        if facts["scrollWidth"] > facts["innerWidth"]:
            problems.append(f"{name} @{width}: scrolls sideways")
        if facts["h1s"] != 1:
            problems.append(f"{name} @{width}: {facts['h1s']} h1 elements")
        save_screenshot(page, f"magazine-{name}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    problems.extend(f"{name}: axe {found}" for found in page.evaluate(AXE_SERIOUS))
    return problems


@pytest.mark.django_db(transaction=True)
def test_the_magazine_pages_fit_a_phone_and_are_accessible(live_server, chromium):
    now = timezone.now()
    products = seed_demo_catalog()
    magazine = seed_demo_magazine(products=products, now=now)
    basic = products["inner-circle-membership"]
    premium = magazine.tiers.get(rank=2).product
    member("basic@example.test", basic, joined=now - timedelta(days=40))
    member("premium@example.test", premium, joined=now - timedelta(days=400))
    hot_seat = Post.objects.filter(title__startswith="Hot seat").order_by("-publish_at").first()
    worksheet = Post.objects.get(slug="worksheet-map-your-value-ladder")
    problems = []

    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    log_in(page, live_server.url, "basic@example.test")
    problems += look(page, live_server.url + magazine.get_absolute_url(), "issues-basic")
    context.close()

    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    log_in(page, live_server.url, "premium@example.test")
    problems += look(page, live_server.url + "/members/", "dashboard-premium")
    problems += look(page, live_server.url + hot_seat.get_absolute_url(), "post-video")
    problems += look(page, live_server.url + worksheet.get_absolute_url(), "post-file")
    context.close()

    assert problems == []
