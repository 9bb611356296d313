"""Flash messages live in the session: no cookie carries "Successfully signed in as <e-mail>"."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signing_in_sets_no_messages_cookie_and_still_shows_the_message(client):
    UserFactory(email="ada@x.test", password="the-right-pass-42")

    login = client.post(
        "/accounts/login/", {"login": "ada@x.test", "password": "the-right-pass-42"}
    )
    dashboard = client.get(login.url)
    again = client.get("/members/")

    assert login.status_code == 302
    assert dashboard.status_code == 200
    assert "Successfully signed in as ada@x.test." in dashboard.content.decode()
    assert "Successfully signed in" not in again.content.decode()  # shown once
    for response in (login, dashboard, again):
        assert "messages" not in response.cookies
    assert "messages" not in client.cookies


def test_signing_out_still_says_so_without_a_messages_cookie(client):
    member = UserFactory(email="ada@x.test", password="the-right-pass-42")
    client.force_login(member)

    logout = client.post("/accounts/logout/")
    page = client.get(logout.url)

    assert "You have signed out." in page.content.decode()
    assert "messages" not in logout.cookies
    assert "messages" not in page.cookies
