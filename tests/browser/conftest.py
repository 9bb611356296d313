"""Shared by the browser tests: Debian's chromium driven by Playwright, never a downloaded one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

INSTALL_HINT = (
    "needs Debian's chromium at /usr/bin/chromium: "
    "run `apt-get update && apt-get install -y chromium` (never `playwright install`)"
)


@pytest.fixture
def chromium(monkeypatch):
    """A headless chromium; skipped without it, failed without it when REQUIRE_SERVICES is set."""
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"REQUIRE_SERVICES is set but the browser test {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # ordinary synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # Close what the test opened while Playwright ran, so the test database can be dropped.
            connections.close_all()


@pytest.fixture
def browser_page(chromium):
    page = chromium.new_page()
    page.set_default_timeout(15_000)
    return page
