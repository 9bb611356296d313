"""One-time, expiring login links: scanners' GETs do nothing; used or expired links say so."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from members.login_links import login_link_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def new_member():
    """Made by a purchase: no password yet."""
    member = UserFactory(email="ada@x.test")
    member.set_unusable_password()
    member.save()
    return member


def test_link_works_once(client, new_member):
    path = path_of(login_link_url(new_member))

    assert client.post(path).status_code == 302
    client.logout()

    again = client.post(path)
    assert again.status_code == 410
    assert b"This login link has been used or has expired" in again.content
    assert b"Send me a new link" in again.content
    assert client.get("/members/").status_code == 302  # not logged in


def test_opening_the_link_many_times_does_not_use_it(client, new_member):
    path = path_of(login_link_url(new_member))
    for _ in range(3):
        page = client.get(path)
        assert page.status_code == 200
        assert b"Log in to the member area" in page.content
    assert client.post(path).status_code == 302


def test_link_expires(client, new_member, settings):
    settings.LOGIN_LINK_MAX_AGE_SECONDS = 3600
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        path = path_of(login_link_url(new_member))
        traveller.shift(timedelta(seconds=3601))
        assert client.get(path).status_code == 410
        assert client.post(path).status_code == 410


def test_a_tampered_link_is_refused(client, new_member):
    path = path_of(login_link_url(new_member))
    other = UserFactory(email="eve@x.test")
    forged = path.replace(path.split("/")[2], path_of(login_link_url(other)).split("/")[2])
    assert client.post(forged).status_code == 410


def test_member_with_a_password_goes_straight_to_the_member_area(client):
    member = UserFactory(email="known@x.test")
    response = client.post(path_of(login_link_url(member)))
    assert response.url == "/members/"


def test_asking_for_a_new_link_sends_one_without_revealing_accounts(
    client, post_committed, new_member, mailoutbox
):
    sent = post_committed("/login/new/", {"email": "ADA@x.test"})
    unknown = post_committed("/login/new/", {"email": "nobody@x.test"})

    assert sent.status_code == unknown.status_code == 200
    assert b"a new login link is on its way" in sent.content
    assert b"a new login link is on its way" in unknown.content
    (message,) = mailoutbox
    assert message.to == ["ada@x.test"]
    link = next(line for line in message.body.splitlines() if "/login/" in line).strip()
    assert client.post(path_of(link)).status_code == 302


def test_new_links_are_rate_limited_per_address(client, post_committed, new_member, mailoutbox):
    for _ in range(7):
        post_committed("/login/new/", {"email": "ada@x.test"})
    assert len(mailoutbox) == 5


def test_using_the_link_verifies_the_address_so_an_email_change_needs_confirmation(
    client, new_member, mailoutbox
):
    from allauth.account.models import EmailAddress

    client.post(path_of(login_link_url(new_member)))

    address = EmailAddress.objects.get(user=new_member)
    assert (address.email, address.verified, address.primary) == ("ada@x.test", True, True)

    client.post("/accounts/email/", {"action_add": "", "email": "ada.new@x.test"})

    new_member.refresh_from_db()
    assert new_member.email == "ada@x.test"  # unchanged until the new address is confirmed
    assert [m.to for m in mailoutbox] == [["ada.new@x.test"]]


def test_a_new_member_sets_a_password_without_an_old_one(client, new_member):
    assert client.post(path_of(login_link_url(new_member))).url == "/login/set-password/"
    response = client.post(
        "/login/set-password/",
        {"new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"},
    )
    assert response.url == "/members/"
    new_member.refresh_from_db()
    assert new_member.check_password("a-long-new-pass-42")


def test_an_open_session_cannot_replace_a_password_without_the_old_one(client):
    """Someone at a member's unlocked screen must not take over the account."""
    member = UserFactory(email="known@x.test", password="the-old-one-99")
    client.force_login(member)

    assert client.get("/login/set-password/").url == "/accounts/password/change/"
    client.post(
        "/login/set-password/",
        {"new_password1": "taken-over-pass-42", "new_password2": "taken-over-pass-42"},
    )
    member.refresh_from_db()
    assert member.check_password("the-old-one-99")


def test_right_after_a_link_login_a_member_may_choose_a_new_password(client):
    """The link proved the address: a member who forgot their password can set a new one."""
    member = UserFactory(email="known@x.test", password="forgotten-pass-1")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(path_of(login_link_url(member)))
        assert client.get("/login/set-password/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert client.get("/login/set-password/").status_code == 302  # the window has passed


def _link_in(message) -> str:
    return path_of(next(line for line in message.body.splitlines() if "/login/" in line).strip())


def test_a_new_link_ends_the_older_unused_ones(client, post_committed, new_member, mailoutbox):
    """Only the newest link works: a forwarded or leaked older e-mail no longer logs anyone in."""
    post_committed("/login/new/", {"email": "ada@x.test"})
    post_committed("/login/new/", {"email": "ada@x.test"})
    first, second = (_link_in(message) for message in mailoutbox)

    scanned = client.get(first)  # a mail scanner (or the member) opening the old e-mail
    refused = client.post(first)

    assert scanned.status_code == refused.status_code == 410
    assert b"This login link has been used or has expired" in refused.content
    assert b"Only the most recent link we sent you works." in refused.content
    assert client.get("/members/").status_code == 302  # not logged in
    assert client.get(second).status_code == 200  # the newest one still shows its button
    assert client.post(second).url == "/login/set-password/"


def test_links_sent_before_the_counter_existed_keep_working(client, new_member):
    """Links in e-mails sent before the upgrade (counter 0) are not ended by the upgrade."""
    from django.contrib.auth.tokens import PasswordResetTokenGenerator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from members.login_links import LoginLinkTokenGenerator

    class OlderRelease(LoginLinkTokenGenerator):
        def _make_hash_value(self, user, timestamp):
            return PasswordResetTokenGenerator._make_hash_value(self, user, timestamp)

    uidb64 = urlsafe_base64_encode(force_bytes(new_member.pk))
    token = OlderRelease().make_token(new_member)  # what an older release put in its e-mail

    assert client.post(f"/login/{uidb64}/{token}/").status_code == 302
