"""The page chrome of ``base.html`` (head links, header, footer), rendered once per process.

Those parts took about 1.5 ms of CPU on every page (issue 20): static file URLs, URL reversing,
translations, the language list, the brand's colours, all the same on every request. They
depend only on what is in the key below (language, brand, logged in or not, the year of the
copyright line, the URL configuration); the two values that differ per request, the CSRF token
and the page's path, are rendered as stand-ins and put in afterwards, escaped as the template
would. A context without them (no request, no token) is rendered as usual, uncached.

``{% site_chrome_part %}`` caches the same way a static run of a page's own template (the
profile's links and buttons: translations, URLs, CSRF forms), each part under its own number.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable

from django import template
from django.core.signals import setting_changed
from django.template import Context
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

MAX_ENTRIES = 128  # keys (language, brand, login state...), each with its parts
MAX_PARTS = 64  # parts per key: the chrome's three and the pages' own
# Stand-ins drawn at random per process (letters and digits: escaping leaves them as they are),
# so that no text a creator types into the brand (a footer link, say) can name one and have
# each visitor's CSRF token written into it.
_TOKEN = "csrf" + secrets.token_hex(16)
_PATH = "path" + secrets.token_hex(16)
_cache: OrderedDict[tuple, dict] = OrderedDict()  # key -> {part name: markup}
_lock = threading.Lock()


def forget_all(**_kwargs) -> None:
    """Empty the cache (a test changed a setting: static URL, languages...)."""
    with _lock:
        _cache.clear()


setting_changed.connect(forget_all)


def _key(context) -> tuple | None:
    """What the chrome's markup depends on, for every part; None if that cannot be a key."""
    user = context.get("user")
    key = (
        translation.get_language(), context.get("LANGUAGE_CODE"), context.get("branding"),
        bool(getattr(user, "is_authenticated", False)), timezone.localtime().year,
        get_urlconf(), get_script_prefix(), context.autoescape,
    )  # fmt: skip
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _stand_ins(context) -> dict:
    """All a cached part may read: the brand, whether someone is logged in, the language, and
    stand-ins for the path and the CSRF token."""
    return {
        "branding": context.get("branding"),
        "user": {"is_authenticated": bool(getattr(context.get("user"), "is_authenticated", 0))},
        "request": {"get_full_path": _PATH},
        "csrf_token": _TOKEN,
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
    }


_RENDER = object()  # the render context's slot for what the parts of one render share


def _shared(context, request, token: str) -> tuple[dict, str, str] | None:
    """The cached parts of this render's key, its escaped token and path; None if the key is
    unusable. Worked out once per render (a page has three or more parts: the key's year,
    brand hash and URL settings, and the escaping, were a third of the chrome's cost), again
    whenever anything the key reads differs from the previous part's (by identity)."""
    inputs = (
        translation.get_language(), context.get("LANGUAGE_CODE"), context.get("branding"),
        context.get("user"), context.autoescape, request, token,
    )  # fmt: skip
    render_context = context.render_context
    found = render_context.get(_RENDER)
    if found is not None and found[0] == inputs:  # tuples compare items by identity first
        return found[1]
    key = _key(context)
    if key is None:
        shared = None
    else:
        with _lock:
            parts = _cache.get(key)
            if parts is None:
                parts = _cache[key] = {}
                while len(_cache) > MAX_ENTRIES:
                    _cache.popitem(last=False)
        shared = (parts, escape(token), escape(request.get_full_path()))
    render_context[_RENDER] = (inputs, shared)
    return shared


def _cached(context, name, render: Callable, render_with_stand_ins: Callable) -> SafeString:
    """``render()`` for this request, from the process's cache (``render_with_stand_ins(values)``
    once per key) when it can be."""
    request, token = context.get("request"), str(context.get("csrf_token") or "")
    if request is None or not token or token == "NOTPROVIDED":  # noqa: S105
        return render()
    shared = _shared(context, request, token)
    if shared is None:
        return render()
    parts, token, path = shared
    markup = parts.get(name)
    if markup is None:
        if len(parts) >= MAX_PARTS:  # templates parsed anew number their parts anew
            parts.clear()
        markup = parts[name] = render_with_stand_ins(_stand_ins(context))
    return mark_safe(markup.replace(_TOKEN, token).replace(_PATH, path))  # noqa: S308 - rendered by the template engine, values escaped


@register.simple_tag(takes_context=True)
def site_chrome(context, name: str) -> SafeString:
    """The part ``name`` for this request, from the process's cache when it can be."""
    engine = context.template.engine
    return _cached(
        context,
        name,
        lambda: engine.get_template(name).render(context),
        lambda values: engine.get_template(name).render(
            Context(values, autoescape=context.autoescape)
        ),
    )


class SiteChromePartNode(template.Node):
    """``{% site_chrome_part %}...{% end_site_chrome_part %}``: a piece of a page that reads
    only what the chrome may read (translations, URLs, the brand, the CSRF token), cached like
    the chrome. Anything else (``{{ user.email }}``) renders empty, never another member's."""

    def __init__(self, nodelist: template.NodeList) -> None:
        # Numbered when parsed: a template's tokens carry no position outside debug mode, and
        # a parsed node never changes (a template parsed anew gets new numbers).
        self.nodelist, self.name = nodelist, ("part", next(_part_numbers))

    def render(self, context) -> str:
        return _cached(
            context,
            self.name,
            lambda: self.nodelist.render(context),
            lambda values: self.nodelist.render(context.new(values)),
        )


_part_numbers = itertools.count()


@register.tag("site_chrome_part")
def site_chrome_part(parser, token) -> SiteChromePartNode:
    nodelist = parser.parse(("end_site_chrome_part",))
    parser.delete_first_token()
    return SiteChromePartNode(nodelist)
