"""The page chrome of ``base.html`` (head links, header, footer), rendered once per process.

Those parts took about 1.5 ms of CPU on every page (issue 20): static file URLs, URL reversing,
translations, the language list, the brand's colours, all the same on every request. They
depend only on what is in the key below (language, brand, logged in or not, the year of the
copyright line, the URL configuration); the two values that differ per request, the CSRF token
and the page's path, are rendered as stand-ins and put in afterwards, escaped as the template
would. A context without them (no request, no token) is rendered as usual, uncached.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from django import template
from django.core.signals import setting_changed
from django.template import Context
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

MAX_ENTRIES = 256
# Stand-ins drawn at random per process (letters and digits: escaping leaves them as they are),
# so that no text a creator types into the brand (a footer link, say) can name one and have
# each visitor's CSRF token written into it.
_TOKEN = "csrf" + secrets.token_hex(16)
_PATH = "path" + secrets.token_hex(16)
_cache: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()


def forget_all(**_kwargs) -> None:
    """Empty the cache (a test changed a setting: static URL, languages...)."""
    with _lock:
        _cache.clear()


setting_changed.connect(forget_all)


def _key(name: str, context) -> tuple | None:
    """What the part's markup depends on; None if that cannot be a key (nothing hashable)."""
    user = context.get("user")
    key = (
        name, translation.get_language(), context.get("LANGUAGE_CODE"), context.get("branding"),
        bool(getattr(user, "is_authenticated", False)), timezone.localtime().year,
        get_urlconf(), get_script_prefix(), context.autoescape,
    )  # fmt: skip
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _render_with_stand_ins(name: str, context) -> str:
    values = {
        "branding": context.get("branding"),
        "user": {"is_authenticated": bool(getattr(context.get("user"), "is_authenticated", 0))},
        "request": {"get_full_path": _PATH},
        "csrf_token": _TOKEN,
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
    }
    part = context.template.engine.get_template(name)
    return part.render(Context(values, autoescape=context.autoescape))


@register.simple_tag(takes_context=True)
def site_chrome(context, name: str) -> SafeString:
    """The part ``name`` for this request, from the process's cache when it can be."""
    request, token = context.get("request"), str(context.get("csrf_token") or "")
    key = _key(name, context)
    if request is None or not token or token == "NOTPROVIDED" or key is None:  # noqa: S105
        return context.template.engine.get_template(name).render(context)
    markup = _cache.get(key)
    if markup is None:
        markup = _render_with_stand_ins(name, context)
        with _lock:
            _cache[key] = markup
            while len(_cache) > MAX_ENTRIES:
                _cache.popitem(last=False)
    markup = markup.replace(_TOKEN, escape(token)).replace(_PATH, escape(request.get_full_path()))
    return mark_safe(markup)  # noqa: S308 - rendered by the template engine, values escaped
