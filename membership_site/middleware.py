"""Refuse request URLs that no view can use: NUL characters or lone surrogates in path or query.

PostgreSQL refuses both in any text it is asked to compare, so a lookup such as
``/members/invoices/X%00/`` raised ValueError (500) there while SQLite answered 404. No valid URL
of this site contains them; answering 400 here spares every view its own check.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from membership_site.text import has_unstorable_text


def _query_is_unusable(request: HttpRequest) -> bool:
    return any(
        has_unstorable_text(key) or any(has_unstorable_text(value) for value in values)
        for key, values in request.GET.lists()
    )


class RefuseUnusableUrlsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_unstorable_text(request.path) or _query_is_unusable(request):
            raise BadRequest("the URL contains a NUL character or a lone surrogate")
        return self.get_response(request)
