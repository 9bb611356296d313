"""Profile: name, time zone, language, notification opt-out, e-mail, password, sessions."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from members.forms import ProfileForm
from tests.members.helpers import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    member = make_member(time_zone="Europe/Berlin", email="ada@example.test")
    client.force_login(member)
    return member


def test_a_member_saves_name_zone_language_and_opts_out_of_lesson_mails(client, member):
    response = client.post(
        "/members/profile/",
        {"name": "Ada L.", "time_zone": "America/Los_Angeles", "language": "de"},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.time_zone, member.language) == (
        "Ada L.",
        "America/Los_Angeles",
        "de",
    )
    assert member.lesson_notifications is False  # unchecked box
    assert response.cookies["django_language"].value == "de"


def test_an_invalid_time_zone_is_rejected_and_nothing_changes(client, member):
    response = client.post(
        "/members/profile/",
        {
            "name": "Ada",
            "time_zone": "Mars/Olympus_Mons",
            "language": "",
            "lesson_notifications": "on",
        },
    )

    assert response.status_code == 200
    assert "Choose a time zone from the list." in response.content.decode()
    member.refresh_from_db()
    assert member.time_zone == "Europe/Berlin"


def test_the_form_alone_rejects_an_unknown_zone():
    form = ProfileForm(data={"name": "x", "time_zone": "Nowhere/Land", "language": ""})

    assert not form.is_valid()
    assert list(form.errors) == ["time_zone"]


def test_the_profile_links_to_email_change_and_password_change(client, member):
    page = client.get("/members/profile/").content.decode()

    assert 'href="/accounts/email/"' in page
    assert 'href="/accounts/password/change/"' in page


def test_changing_the_email_address_needs_a_confirmation(client, member, mailoutbox):
    # The purchase e-mail's login link proves the first address (helper A's login links).
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    client.post("/accounts/email/", {"action_add": "", "email": "ada.new@example.test"})

    member.refresh_from_db()
    assert member.email == "ada@example.test"  # unchanged until confirmed
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada.new@example.test"]
    # An unconfirmed address cannot become the primary one.
    client.post("/accounts/email/", {"action_primary": "", "email": "ada.new@example.test"})
    member.refresh_from_db()
    assert member.email == "ada@example.test"

    confirm_url = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mailoutbox[0].body)
    client.post(confirm_url.group(1))
    client.post("/accounts/email/", {"action_primary": "", "email": "ada.new@example.test"})

    member.refresh_from_db()
    assert member.email == "ada.new@example.test"


def test_logging_out_other_sessions_keeps_this_one(member):
    here, elsewhere = Client(), Client()
    here.force_login(member)
    elsewhere.force_login(member)
    assert elsewhere.get("/members/").status_code == 200

    response = here.post("/members/profile/sessions/end-others/")

    assert response.status_code == 302
    assert here.get("/members/").status_code == 200
    assert elsewhere.get("/members/").status_code == 302


def test_ending_sessions_needs_a_post(client, member):
    assert client.get("/members/profile/sessions/end-others/").status_code == 405
