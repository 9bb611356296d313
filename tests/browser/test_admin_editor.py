"""The rich-text editor in the admin offers room to write: a creator opening "Add post" saw a
one-line box under "Body" and could not tell it was the place for the post's text."""

from __future__ import annotations

import pytest

from tests.browser.helpers import save_screenshot

pytestmark = pytest.mark.browser

EMPTY_EDITORS = {
    "post": "/admin/magazine/post/add/",
    "lesson": "/admin/products/lesson/add/",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 375])
def test_an_empty_editor_is_a_writing_area(live_server, browser_page, django_user_model, width):
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "creator@example.test")
    page.fill("#id_password", "pw-creator-1")
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    heights = {}
    for name, path in EMPTY_EDITORS.items():
        page.goto(f"{live_server.url}{path}")
        editor = page.locator(".ProseMirror:visible").first
        editor.scroll_into_view_if_needed()
        save_screenshot(page, f"admin-editor-{name}-{width}.png")
        heights[name] = editor.bounding_box()["height"]

    assert all(height >= 150 for height in heights.values()), heights
