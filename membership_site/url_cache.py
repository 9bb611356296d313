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


def url_context() -> tuple:
    """What a reversed URL depends on besides its arguments. Each part is a read of Django's
    context-local state (about 2,000 instructions apiece with ``membership_site.fast_locals``,
    15,000-27,000 without): a page writing many URLs reads them once and passes them to
    ``cached_url``."""
    return (get_urlconf(), get_script_prefix(), translation.get_language())


def cached_url(kind: str, slug: str, build: Callable[[], str], context: tuple | None = None) -> str:
    """``build()`` (a ``get_absolute_url`` that reverses by ``slug`` alone), remembered under
    ``kind`` and ``slug`` and the ``url_context()`` (read now unless given)."""
    return _urls.get((kind, slug, context or url_context()), build)
