"""The DATEV export form in Debian's chromium, in German, at 1280 and 390 px: reached from the
invoice list, a reversed range explained on the page, a valid one downloaded as the EXTF file;
no sideways scroll, no serious axe-core violation. Screenshots go to ``$SCREENSHOTS_DIR`` (or
``var/screenshots/``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from invoices.services import issue_invoice_for_payment
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_the_datev_form_in_german(live_server, chromium, django_user_model, width):
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    seller = make_seller(datev_consultant_number=29098, datev_client_number=55003)
    buyer = checkout_buyer(name="Jürgen Weiß")
    issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW, buyer=buyer)
    page = chromium.new_page(locale="de-DE", extra_http_headers={"Accept-Language": "de"})
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "creator@example.test")
    page.fill("#id_password", "pw-creator-1")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/invoices/document/")
    page.click("text=DATEV-Export (Zeitraum)")
    page.fill("#id_start", "2026-03-31")
    page.fill("#id_end", "2026-03-01")
    page.click("input[type=submit]")

    assert page.locator("h1").inner_text() == "Nach DATEV exportieren"
    assert "darf nicht nach dem Enddatum" in page.locator(".errornote").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_SERIOUS) == []
    save_screenshot(page, f"datev-form-de-{width}.png", full_page=True)

    page.fill("#id_start", "2026-03-01")
    page.fill("#id_end", "2026-03-31")
    with page.expect_download() as download_info:
        page.click("input[type=submit]")
    download = download_info.value
    content = Path(download.path()).read_bytes()
    assert download.suggested_filename == "EXTF_Buchungsstapel_20260301_20260331.csv"
    assert content.startswith(b'"EXTF";700;21;"Buchungsstapel";13;')
    assert "Jürgen Weiß".encode("cp1252") in content

    page.goto(f"{live_server.url}/admin/invoices/sellersettings/{seller.pk}/change/")
    assert page.locator("fieldset h2").last.inner_text() == "DATEV (Export für die Steuerberatung)"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, f"datev-settings-de-{width}.png", full_page=True)
    page.close()
