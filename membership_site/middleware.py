"""Refuse request URLs that no view can use: NUL characters or lone surrogates in path or query.

PostgreSQL refuses both in any text it is asked to compare, so a lookup such as
``/members/invoices/X%00/`` raised ValueError (500) there while SQLite answered 404. No valid URL
of this site contains them; answering 400 here spares every view its own check.

A cookie carrying them (a quoted cookie may spell NUL as ``\\000``) is dropped instead, as if it
had not been sent: a session cookie looked up with NUL raised the same way, and the visitor
should not be locked out by a cookie they cannot see.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from membership_site.text import has_unstorable_text

logger = logging.getLogger(__name__)


def _query_is_unusable(request: HttpRequest) -> bool:
    return any(
        has_unstorable_text(key) or any(has_unstorable_text(value) for value in values)
        for key, values in request.GET.lists()
    )


class RefuseUnusableUrlsMiddleware:
    """400 for a path or query with NUL or lone surrogates; such cookies are dropped."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, value in list(request.COOKIES.items()):
            if has_unstorable_text(name) or has_unstorable_text(value):
                del request.COOKIES[name]
        if has_unstorable_text(request.path) or _query_is_unusable(request):
            logger.warning("refused a URL with NUL or a lone surrogate: %r", request.path)
            return HttpResponseBadRequest(
                "Bad request: the address contains characters no page uses.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class StorageUnavailableMiddleware:
    """503 with a plain, translated page when the file store does not answer.

    Only pages that read or write a private file reach the store (a download, an invoice PDF,
    an upload in the admin); every other page renders as usual while it is down.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from products.storage import storage_errors

        if not isinstance(exception, storage_errors()):
            return None
        logger.error("file store unavailable for %s: %s", request.path, exception)
        response = render(request, "storage_unavailable.html", status=503)
        response["Retry-After"] = "60"
        response["Cache-Control"] = "no-store"
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's ``LocaleMiddleware`` for URL configurations without ``i18n_patterns``.

    Django's looks for a language prefix in the path twice per request (``/members/`` reads as
    the language "members", looked up and refused with an exception each time), although the
    answer is used only when ``i18n_patterns`` is: about 100,000 instructions per page (issue
    20). With ``i18n_patterns`` in the URL configuration, Django's own methods run unchanged.
    """

    def process_request(self, request: HttpRequest) -> None:
        if _prefix_patterns_used(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if _prefix_patterns_used(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _prefix_patterns_used(request: HttpRequest) -> bool:
    """Whether the request's URL configuration uses ``i18n_patterns`` (cached by Django)."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    return is_language_prefix_patterns_used(urlconf)[0]
