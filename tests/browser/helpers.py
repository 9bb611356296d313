"""Shared by the browser tests: where their screenshots go."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or settings.BASE_DIR / "var" / "screenshots")


def save_screenshot(page, name: str, **options) -> None:
    """Save ``name`` in ``SCREENSHOTS`` for a reviewer to look at. No test asserts on a
    screenshot, so CI (``SCREENSHOTS=0``) skips the rendering: a full-page PNG of each page
    at each width was a fifth of the browser tests' time."""
    if os.environ.get("SCREENSHOTS", "1") == "0":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), **options)
