"""The site's ``LocaleMiddleware`` picks the language and sets the headers Django's does."""

from __future__ import annotations

import types

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.urls import path
from django.utils import translation

from membership_site.middleware import LocaleMiddleware

PREFIXED = types.ModuleType("prefixed_urls")
PREFIXED.urlpatterns = i18n_patterns(path("page/", lambda request: HttpResponse("x")))

CASES = [
    ("/members/", {}),  # "members" reads as a language prefix to Django: refused
    ("/de/members/", {}),
    ("/members/", {"HTTP_ACCEPT_LANGUAGE": "nl-NL,nl;q=0.9,en;q=0.5"}),
    ("/members/", {"HTTP_ACCEPT_LANGUAGE": "fr, *;q=0.1"}),
    ("/members/", {"HTTP_COOKIE": "django_language=de"}),
    ("/members/", {"HTTP_COOKIE": "django_language=xx", "HTTP_ACCEPT_LANGUAGE": "nl"}),
    ("/page/", {"HTTP_ACCEPT_LANGUAGE": "de"}),
    ("/nl/page/", {}),
]


def _answer(middleware_class, url: str, headers: dict, urlconf=None, status: int = 200):
    request = RequestFactory().get(url, **headers)
    if urlconf is not None:
        request.urlconf = urlconf
    middleware = middleware_class(lambda request: HttpResponse("x", status=status))
    with translation.override(None):
        middleware.process_request(request)
        language = (translation.get_language(), request.LANGUAGE_CODE)
        response = middleware.process_response(request, HttpResponse("x", status=status))
    return language, response.status_code, response.get("Vary"), response.get("Content-Language")


@pytest.mark.parametrize(("url", "headers"), CASES)
@pytest.mark.parametrize("urlconf", [None, PREFIXED], ids=["site", "i18n_patterns"])
@pytest.mark.parametrize("status", [200, 404])
def test_the_language_and_headers_are_djangos(url, headers, urlconf, status):
    ours = _answer(LocaleMiddleware, url, headers, urlconf, status)
    assert ours == _answer(DjangoLocaleMiddleware, url, headers, urlconf, status)


@pytest.mark.django_db
def test_a_member_page_answers_in_the_browsers_language(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="nl")
    assert page["Content-Language"] == "nl"
    assert "Accept-Language" in page["Vary"]
