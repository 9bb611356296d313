"""The brand every page and e-mail shows, read from Django's cache (no query on a warm cache).

``current_brand()`` returns a frozen ``Brand``; the cache holds a plain dict under a versioned
key, so a deploy that changes the dataclass never unpickles an old shape. Saving the branding
(admin or ``seed_demo``) calls ``forget_brand()``.

Each process also keeps the brand it read for ``LOCAL_SECONDS`` (issue 20): a Redis read on every
page was a twentieth of a lesson's CPU, for a row that changes when the creator edits the
branding. The process that saves forgets its copy at once; the others read the new brand within
that second.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.urls import reverse

from branding.colours import inverse_text, readable_on_white
from branding.models import DEFAULT_ACCENT, DEFAULT_SITE_NAME, Branding

CACHE_KEY = "branding:brand:v1"
CACHE_SECONDS = 60 * 60
LOCAL_SECONDS = 1.0


@dataclass(frozen=True)
class Brand:
    site_name: str = DEFAULT_SITE_NAME
    logo_url: str = ""
    accent: str = DEFAULT_ACCENT
    support_email: str = ""
    imprint_url: str = ""
    privacy_url: str = ""
    terms_url: str = ""

    @property
    def accent_text(self) -> str:
        """The accent darkened until it reads on white (WCAG AA), for links."""
        return readable_on_white(self.accent)

    @property
    def accent_inverse(self) -> str:
        """Black or white, whichever reads better on the accent (button labels)."""
        return inverse_text(self.accent)

    @property
    def has_legal_links(self) -> bool:
        return bool(self.imprint_url or self.privacy_url or self.terms_url)


def _load() -> Brand:
    row = Branding.objects.filter(slot=1).first()
    if row is None:
        return Brand()
    return Brand(
        site_name=row.site_name or DEFAULT_SITE_NAME,
        logo_url=(
            reverse("branding_logo", args=[int(row.updated_at.timestamp())]) if row.logo else ""
        ),
        accent=row.accent_colour or DEFAULT_ACCENT,
        support_email=row.support_email,
        imprint_url=row.imprint_url,
        privacy_url=row.privacy_url,
        terms_url=row.terms_url,
    )


_local: tuple[float, Brand] | None = None  # (until, brand): this process's copy


def current_brand() -> Brand:
    """The brand this process read less than ``LOCAL_SECONDS`` ago, else from the cache, else
    one query that fills it."""
    global _local
    local = _local
    if local is not None and time.monotonic() < local[0]:
        return local[1]
    brand = _shared_brand()
    _local = (time.monotonic() + LOCAL_SECONDS, brand)
    return brand


def _shared_brand() -> Brand:
    cached = cache.get(CACHE_KEY)
    if isinstance(cached, dict):
        try:
            return Brand(**cached)
        except TypeError:  # a field was renamed since it was cached
            pass
    brand = _load()
    cache.set(CACHE_KEY, asdict(brand), CACHE_SECONDS)
    return brand


def forget_brand() -> None:
    """Every process reads the brand anew (this one at once, the others within a second)."""
    _forget_local()
    cache.delete(CACHE_KEY)


def _forget_local(**_kwargs) -> None:
    global _local
    _local = None


setting_changed.connect(_forget_local)  # a test's other cache or default site name


def request_brand(request: HttpRequest) -> Brand:
    """The brand once per request, however many templates a response renders."""
    brand = getattr(request, "_brand", None)
    if brand is None:
        brand = current_brand()
        request._brand = brand
    return brand


def from_email(brand: Brand | None = None) -> str:
    """DEFAULT_FROM_EMAIL with the site name as its display name (the address stays).

    Line breaks and other whitespace runs in the name become one space: a header line cannot
    carry them, and Django would refuse every e-mail (or, unchecked, a name could add a header).
    """
    brand = brand or current_brand()
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if not address:
        return settings.DEFAULT_FROM_EMAIL
    name = " ".join("".join(c if c.isprintable() else " " for c in brand.site_name).split())
    return formataddr((name, address))
