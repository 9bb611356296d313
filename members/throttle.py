"""Small counters in the cache for the throttles allauth does not cover (login links, the
admin login), keyed by the client as allauth sees it (ALLAUTH_TRUSTED_PROXY_COUNT)."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address, not the reverse proxy's (see ``TRUSTED_PROXY_COUNT``)."""
    return get_adapter(request).get_client_ip(request) or "unknown"


def count(key: str, *, period: int) -> int:
    """Count one more use of ``key`` within ``period`` seconds; the new count."""
    cache.add(key, 0, timeout=period)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period)
        return 1


def used(key: str) -> int:
    return cache.get(key, 0)
