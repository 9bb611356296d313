"""``membership_site.lazy_reads``: settings and Django's regular expressions answer as before."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import LazySettings, settings
from django.test import override_settings
from django.utils.functional import LazyObject


def django_reads(name):
    """What ``settings.<name>`` gives through ``LazyObject``'s own lookup."""
    return LazyObject.__getattribute__(settings, name)


def test_installed():
    assert "__getattribute__" in LazySettings.__dict__


@pytest.mark.parametrize(
    "name", ["DEBUG", "ROOT_URLCONF", "USE_TZ", "LANGUAGES", "BASE_DIR", "DATABASES", "STATIC_URL"]
)
def test_settings_answer_as_django_does(name):
    getattr(settings, name)  # cached by LazySettings.__getattr__
    assert getattr(settings, name) is django_reads(name)
    expected = getattr(settings._wrapped, name)  # the settings object behind the proxy
    if name == "STATIC_URL":
        expected = settings._add_script_prefix(expected)
    assert getattr(settings, name) == expected


def test_overrides_assignment_and_deletion_show_at_once():
    assert not hasattr(settings, "SITE_NAME_FOR_TEST")
    with override_settings(SITE_NAME_FOR_TEST="Atelier", USE_TZ=False):
        assert settings.SITE_NAME_FOR_TEST == "Atelier"
        assert settings.USE_TZ is False
    assert not hasattr(settings, "SITE_NAME_FOR_TEST")
    assert settings.USE_TZ is True
    settings.EXTRA_FOR_TEST = 1
    try:
        assert settings.EXTRA_FOR_TEST == 1
        settings.EXTRA_FOR_TEST = 2
        assert settings.EXTRA_FOR_TEST == 2
    finally:
        del settings.EXTRA_FOR_TEST
    assert not hasattr(settings, "EXTRA_FOR_TEST")


def test_values_of_other_types_take_django_s_way():
    def callback():
        return "called"

    with override_settings(CALLBACK_FOR_TEST=callback, PATH_FOR_TEST=Path("/srv")):
        assert settings.CALLBACK_FOR_TEST() == "called"
        path = settings.PATH_FOR_TEST
        assert path == Path("/srv")
    assert repr(settings).startswith("<LazySettings")


def test_django_patterns_are_compiled_and_match_as_before():
    from django.http import request, response
    from django.middleware import csrf
    from django.utils import cache

    for pattern in (cache.cc_delim_re, request.host_validation_re, csrf.invalid_token_chars_re,
                    response._charset_from_content_type_re):  # fmt: skip
        assert isinstance(pattern, re.Pattern)
    assert cache.cc_delim_re.split("no-cache ,  private") == ["no-cache", "private"]
    assert request.host_validation_re.fullmatch("shop.example.test:8000")
    assert not request.host_validation_re.fullmatch("bad host")
    assert csrf.invalid_token_chars_re.search("abc!")
    assert response._charset_from_content_type_re.search("text/html; charset=utf-8")[1] == "utf-8"
