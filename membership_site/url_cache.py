"""URLs a page writes once per row, reversed once per process (issue 20).

``reverse`` cost the member dashboard about 35 µs per product card, for a URL that depends only
on the object's slug and the request's URL configuration, script prefix and language (the last
in case the URLs are ever translated). A changed slug is a new key, so nothing goes stale.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import get_script_prefix, get_urlconf
from django.utils import translation

from membership_site.remembered import Remembered

_urls = Remembered()  # emptied when a test changes the URL configuration or another setting


def cached_url(kind: str, slug: str, build: Callable[[], str]) -> str:
    """``build()`` (a ``get_absolute_url`` that reverses by ``slug`` alone), remembered under
    ``kind`` and ``slug``."""
    key = (kind, slug, get_urlconf(), get_script_prefix(), translation.get_language())
    return _urls.get(key, build)
