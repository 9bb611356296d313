"""The shared front end: account pages in the site's layout, the login link offered, nothing
linking to a closed sign-up, German percentages that never break, and the page weight budget."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from tests.factories import UserFactory
from tests.members.helpers import grant, make_course, make_member

pytestmark = pytest.mark.django_db

ACCOUNT_PAGES = [
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/signup/",
    "/accounts/confirm-email/",
]
MEMBER_ACCOUNT_PAGES = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/logout/",
]


def assert_in_site_layout(html: str) -> None:
    assert "/static/css/site.css" in html
    assert 'class="brand-name"' in html
    assert 'action="/i18n/setlang/"' in html  # the language switcher
    assert "Menu:" not in html  # allauth's bare layout
    assert html.count("<h1") == 1


@pytest.mark.parametrize("url", ACCOUNT_PAGES)
def test_account_pages_use_the_site_layout(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert_in_site_layout(response.content.decode())


@pytest.mark.parametrize("url", MEMBER_ACCOUNT_PAGES)
def test_a_members_account_pages_use_the_site_layout(client, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 200
    assert_in_site_layout(response.content.decode())


def test_the_login_page_offers_a_login_link_and_no_closed_sign_up(client):
    html = client.get("/accounts/login/").content.decode()

    assert re.search(r'<a href="/login/new/"[^>]*>Email me a login link</a>', html)
    assert "/accounts/signup/" not in html
    assert "sign up" not in html.lower()


def test_the_login_page_links_to_sign_up_while_it_is_open(client, settings):
    settings.ACCOUNT_SIGNUP_OPEN = True

    html = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/signup/"' in html


def test_a_failed_login_shows_the_error_in_the_form(client):
    UserFactory(email="ada@example.test")

    html = client.post(
        "/accounts/login/", {"login": "ada@example.test", "password": "wrong"}
    ).content.decode()

    assert 'class="error-summary"' in html
    assert "not correct" in html


def test_german_percentages_keep_the_sign_with_the_number(client):
    course = make_course(days=(0, 3, 6))
    member = make_member(language="de")
    grant(member, course.product, starts_at=timezone.now() - timedelta(days=1))
    client.force_login(member)

    html = client.get("/members/").content.decode()

    assert "(0\u00a0%)" in html
    assert "(0 %)" not in html


def test_css_and_js_of_a_member_page_stay_under_100_kb_compressed(client):
    course = make_course(days=(0,))
    member = make_member()
    grant(member, course.product, starts_at=timezone.now())
    client.force_login(member)
    html = client.get(course.lessons[0].get_absolute_url()).content.decode()

    assets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)
    assets += re.findall(r'<script src="/static/([^"]+)"', html)
    assert any(a.endswith("site.css") for a in assets)
    assert any("htmx" in a for a in assets)
    inline = "".join(re.findall(r"<style>(.*?)</style>", html, flags=re.S))
    total = len(gzip.compress(inline.encode()))
    for asset in assets:
        total += len(gzip.compress(open(finders.find(asset), "rb").read()))  # noqa: SIM115
    assert total < 100 * 1024, f"{total} bytes of CSS and JS (gzip) on a member page"
