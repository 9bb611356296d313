"""The admin's member page in Debian's chromium at 1280 px: it renders in the admin's look, with
no sideways scroll, and a support action done there shows its message (screenshot saved)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import save_screenshot
from tests.desk.helpers import member_with_history, page_url
from tests.invoices.helpers import make_seller

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_the_member_page_at_1280_px(live_server, browser_page, django_user_model):
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    make_seller()
    member, _grant, _lessons = member_with_history(3)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "creator@example.test")
    page.fill("#id_password", "pw-creator-1")
    page.click("input[type=submit]")

    page.goto(live_server.url + page_url(member))

    assert page.locator("h1").inner_text() == "Member ada@x.test"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.fill("#id_login-link-reason", "asked by phone")
    page.click("#action-login-link input[type=submit]")
    assert "A fresh login link is on its way to ada@x.test." in page.content()
    save_screenshot(page, "admin-member-page-1280.png", full_page=True)
