"""GDPR pages in chromium at 1280 and 390 px: the profile's "Your data" section, the deletion
flow from the request to the confirmed erasure, and the admin's export and erase forms. No
sideways scroll, one h1, no serious axe-core violation; screenshots as ``privacy-*.png`` in
``$SCREENSHOTS_DIR`` (default ``var/screenshots/``)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from members.models import User
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS, PAGE_FACTS
from tests.factories import UserFactory

pytestmark = pytest.mark.browser
PASSWORD = "pw-privacy-1"
WIDTHS = (1280, 390)


def look(page, name: str) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        facts = page.evaluate(PAGE_FACTS)
        if facts["scrollWidth"] > facts["innerWidth"]:
            problems.append(f"{name} @{width}: scrolls sideways")
        if facts["h1s"] != 1:
            problems.append(f"{name} @{width}: {facts['h1s']} h1 elements")
        save_screenshot(page, f"privacy-{name}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    problems.extend(f"{name}: axe {found}" for found in page.evaluate(AXE_SERIOUS))
    return problems


@pytest.mark.django_db(transaction=True)
def test_the_member_deletes_their_account_by_the_emailed_link(live_server, browser_page):
    ada = UserFactory(email="ada@example.test", name="Ada Lovelace", language="de")
    ada.set_password(PASSWORD)
    ada.save()
    page = browser_page
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', "ada@example.test")
    page.fill('input[name="password"]', PASSWORD)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_url(f"{base}/members/")

    page.goto(f"{base}/members/profile/")
    problems = look(page, "profile")
    page.get_by_role("link", name="Mein Konto löschen").click()
    problems += look(page, "delete-request")
    page.get_by_role("button", name="Schick mir den Bestätigungslink").click()
    page.wait_for_selector("text=Wir haben einen Link an ada@example.test geschickt")
    problems += look(page, "delete-sent")
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/members/privacy/delete/\S+/", message.body).group(0)
    page.goto(base + "/" + link.split("://", 1)[1].split("/", 1)[1])
    problems += look(page, "delete-confirm")
    page.get_by_role("button", name="Mein Konto jetzt löschen").click()
    page.wait_for_selector("h1:has-text('Dein Konto ist gelöscht')")
    problems += look(page, "erased")

    assert problems == []
    assert User.objects.get(pk=ada.pk).email == f"erased-{ada.pk}@erased.invalid"


@pytest.mark.django_db(transaction=True)
def test_the_admins_gdpr_forms(live_server, browser_page, django_user_model):
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    ada = UserFactory(email="ada@example.test", name="Ada Lovelace")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "creator@example.test")
    page.fill("#id_password", "pw-creator-1")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/members/user/{ada.pk}/member/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#personal-data").scroll_into_view_if_needed()
        save_screenshot(page, f"privacy-admin-{width}.png", full_page=True)

    page.fill("#erase-reason", "asked by e-mail")
    page.fill("#erase-confirm", "ada@example.test")
    page.locator("#action-erase input[type=submit]").click()

    assert "Personal data erased; 0 grants ended" in page.content()
    assert User.objects.get(pk=ada.pk).is_active is False
