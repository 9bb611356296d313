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


@pytest.fixture(scope="package")
def _shared_chromium():
    """One headless chromium for the browser tests that run one after another in a worker
    (starting it took seconds per test). Skipped without it, failed without it when
    REQUIRE_SERVICES is set.

    Package-scoped, not session-scoped: while Playwright's sync API runs, its event loop counts
    as running in this thread, so Django's async-safety check is switched off
    (``DJANGO_ALLOW_ASYNC_UNSAFE``) only as long as browser tests run, never for the others."""
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(f"REQUIRE_SERVICES is set but the browser test {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    sync_api = pytest.importorskip("playwright.sync_api")
    with pytest.MonkeyPatch.context() as patch:
        # The test's own ORM calls are ordinary synchronous code.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()


@pytest.fixture
def chromium(_shared_chromium):
    """The shared chromium. Every page and context a test opens is closed after it, so the next
    test starts without its cookies or storage, as in a browser of its own."""
    yield _shared_chromium
    for context in _shared_chromium.contexts:
        context.close()
    # Close what the test opened while Playwright ran, so the test database can be dropped.
    connections.close_all()


@pytest.fixture
def browser_page(chromium):
    page = chromium.new_page()
    page.set_default_timeout(15_000)
    return page
