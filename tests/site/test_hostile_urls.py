"""URLs carrying a NUL character are answered 400, not 500 (issue 11, item 4).

PostgreSQL refuses NUL in any text it compares, so these lookups raised there (500) while SQLite
answered 404; run with DATABASE_URL=postgres://… to see the difference. One middleware refuses
such URLs for every view (``membership_site.middleware``).
"""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(client):
    client.force_login(UserFactory(email="member@x.test"))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/members/invoices/X%00/",
        "/members/invoices/X%00/pdf/",
        "/billing/checkout/success/?session_id=cs_%00",
        "/billing/checkout/status/?session_id=cs_%00",
        "/members/products/a%00/",
        "/members/downloads/t%00/",
        "/login/M%00/abc-def/",
        "/billing/checkout/status/?session%00=cs_1",
    ],
)
def test_a_member_asking_for_a_url_with_a_nul_gets_400(member_client, url):
    assert member_client.get(url).status_code == 400


def test_a_nul_in_the_login_link_is_400_for_a_visitor_too(client):
    assert client.post("/login/M%00/abc-def/").status_code == 400


def test_ordinary_urls_pass_the_middleware(member_client):
    assert member_client.get("/members/invoices/").status_code == 200
    assert member_client.get("/members/invoices/INV-404/").status_code == 404
    assert member_client.get("/billing/checkout/status/?session_id=cs_%C3%A4").status_code == 200


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "django_language"])
def test_a_cookie_with_a_nul_is_ignored_not_a_500(client, cookie):
    """A quoted cookie can spell NUL as \\000; the session lookup raised on PostgreSQL."""
    client.cookies[cookie] = "abcdefgh\x00ijklmnop"

    assert client.get("/members/").status_code == 302  # to the login page: no session
    assert client.get("/accounts/login/").status_code == 200


def test_a_member_keeps_the_session_when_another_cookie_carries_a_nul(member_client):
    member_client.cookies["tracking"] = "x\x00y"

    assert member_client.get("/members/invoices/").status_code == 200
