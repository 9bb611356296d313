"""The creator's dashboard in Debian's chromium at a laptop's 1280 px and a phone's 375 px, in
English and German, with a hand-built report (two currencies, twelve months) served through the
view's seam: no sideways scroll of the page, the charts drawn, no serious axe-core violation.
Screenshots land in ``var/screenshots/`` for a reviewer to look at."""

from __future__ import annotations

import pytest

from branding.models import Branding
from dashboard import views
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS
from tests.dashboard.hand_built import realistic_report

pytestmark = pytest.mark.browser
PASSWORD = "pw-creator-1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_dashboard_on_a_laptop_and_a_phone(
    live_server, browser_page, django_user_model, monkeypatch, language
):
    Branding.objects.create(site_name="Harness Academy", accent_colour="#0f766e")
    django_user_model.objects.create_superuser("creator@example.test", PASSWORD, language=language)
    monkeypatch.setattr(views, "report_source", lambda **kwargs: realistic_report())
    page = browser_page
    page.set_extra_http_headers({"Accept-Language": language})
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "creator@example.test")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()

    assert page.locator("#site-name").inner_text() == "Harness Academy"
    assert page.locator(".dash-card").count() == 5
    assert page.locator("svg.dash-chart").count() == 5  # revenue x2, members, products x2
    assert page.locator("#content-main .app-members").count() == 1  # the model list stays
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        chart = page.locator("svg.dash-chart").first.bounding_box()
        assert chart["width"] > 300
        assert chart["x"] + chart["width"] <= width
        save_screenshot(page, f"admin-dashboard-{language}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_SERIOUS) == []
