"""The member's side: download after a recent login, delete only through the e-mailed link."""

import io
import re
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from members.models import MemberEvent, User
from privacy.erasure import placeholder_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42-battery"
CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+(/members/privacy/delete/[^\s\"'<>]+/)")


@pytest.fixture
def ada(db):
    member = UserFactory(email="ada@example.test", name="Ada Lovelace")
    member.set_password(PASSWORD)
    member.save()
    return member


def _log_in(client, password=PASSWORD):
    response = client.post("/accounts/login/", {"login": "ada@example.test", "password": password})
    assert response.status_code == 302


def test_profile_offers_download_and_deletion(client, ada):
    client.force_login(ada)
    page = client.get("/members/profile/").content.decode()
    assert 'action="/members/privacy/export/"' in page
    assert 'href="/members/privacy/delete/"' in page


def test_download_right_after_login_gives_the_zip_and_an_audit_row(client, ada):
    _log_in(client)
    response = client.post("/members/privacy/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="member-data-')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert "profile.json" in archive.namelist()
    assert MemberEvent.objects.get(kind="data_exported").reason == "downloaded by the member"


def test_download_later_asks_for_the_password_again(client, ada):
    _log_in(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        response = client.post("/members/privacy/export/")
        assert response.status_code == 302
        assert response.url.startswith("/accounts/reauthenticate/")
        wrong = client.post(response.url, {"password": "wrong-password"})
        assert wrong.status_code == 200
        assert "application/zip" not in wrong["Content-Type"]
        assert not MemberEvent.objects.filter(kind="data_exported").exists()
        again = client.post(response.url, {"password": PASSWORD})  # allauth resumes the POST
        assert (again.status_code, again["Content-Type"]) == (200, "application/zip")
    assert MemberEvent.objects.filter(kind="data_exported").count() == 1


def test_a_member_without_password_confirms_by_login_link(client, db):
    linked = UserFactory(email="link@example.test")
    linked.set_unusable_password()
    linked.save()
    client.force_login(linked)

    response = client.post("/members/privacy/export/")
    assert response.status_code == 403
    assert 'action="/login/new/"' in response.content.decode()
    session = client.session
    session["login_link_at"] = int(timezone.now().timestamp())
    session.save()
    assert client.post("/members/privacy/export/").status_code == 200


def test_downloads_are_rate_limited(client, ada):
    _log_in(client)
    statuses = [client.post("/members/privacy/export/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert MemberEvent.objects.filter(kind="data_exported").count() == 5


def test_deletion_is_confirmed_by_the_emailed_link_then_erases_and_logs_out(
    client, ada, mailoutbox, post_committed
):
    client.force_login(ada)
    assert "Delete your account" in client.get("/members/privacy/delete/").content.decode()
    post_committed("/members/privacy/delete/")

    (message,) = mailoutbox
    assert message.to == ["ada@example.test"]
    assert message.subject == "Confirm deleting your account"
    path = CONFIRM_LINK.search(message.body).group(1)
    ada.refresh_from_db()
    assert ada.is_active  # nothing erased yet
    assert "Delete my account now" in client.get(path).content.decode()

    response = client.post(path)

    assert response.status_code == 200
    assert "Your account is deleted" in response.content.decode()
    ada.refresh_from_db()
    assert (ada.email, ada.is_active) == (placeholder_email(ada.pk), False)
    assert client.get("/members/").status_code == 302  # logged out
    assert client.post(path).status_code == 410  # single use
    event = MemberEvent.objects.get(kind="erased")
    assert event.reason == "requested by the member, confirmed by e-mail"


def test_the_link_expires_after_a_day(client, ada, mailoutbox, post_committed):
    client.force_login(ada)
    post_committed("/members/privacy/delete/")
    path = CONFIRM_LINK.search(mailoutbox[0].body).group(1)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert client.get(path).status_code == 410
        assert client.post(path).status_code == 410
    assert User.objects.get(pk=ada.pk).is_active


@pytest.mark.parametrize("path_end", ["MQ/bad-token/", "zz/1-2/", "!!/x/"])
def test_a_forged_link_erases_nothing(client, ada, path_end):
    assert client.post(f"/members/privacy/delete/{path_end}").status_code in (404, 410)
    assert User.objects.get(pk=ada.pk).is_active


def test_deletion_requests_are_rate_limited(client, ada, mailoutbox, post_committed):
    client.force_login(ada)
    statuses = [post_committed("/members/privacy/delete/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(mailoutbox) == 3


def test_a_renewing_subscription_must_be_cancelled_first(client, ada, mailoutbox):
    from billing.models import Order, Subscription
    from tests.factories import ProductFactory

    order = Order.objects.create(
        member=ada, product=ProductFactory(), provider="stripe", provider_ref="cs_1", currency="EUR"
    )
    Subscription.objects.create(
        member=ada, order=order, provider="stripe", provider_ref="sub_1", status="active"
    )
    client.force_login(ada)

    page = client.post("/members/privacy/delete/").content.decode()
    assert "Cancel it first" in page
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("language", "heading", "section"),
    [("de", "Konto löschen", "Deine Daten"), ("nl", "Account verwijderen", "Je gegevens")],
)
def test_pages_speak_the_members_language(client, ada, language, heading, section):
    ada.language = language
    ada.save()
    client.force_login(ada)
    assert f"<h1>{heading}</h1>" in client.get("/members/privacy/delete/").content.decode()
    assert section in client.get("/members/profile/").content.decode()


def test_the_confirmation_email_speaks_the_members_language(
    client, ada, mailoutbox, post_committed
):
    ada.language = "nl"
    ada.save()
    client.force_login(ada)
    post_committed("/members/privacy/delete/")

    (message,) = mailoutbox
    assert message.subject == "Bevestig het verwijderen van je account"
    assert "Open deze link binnen 24 uur en bevestig:" in message.body
