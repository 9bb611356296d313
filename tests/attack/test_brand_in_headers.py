"""A site name with a line break (pasted into the admin) neither adds a header to e-mails nor
stops every e-mail from being sent."""

from __future__ import annotations

import pytest
from django.core import mail

from members.login_links import send_login_link
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_line_break_in_the_site_name_adds_no_header_and_mail_still_goes_out(
    creator_client, settings
):
    settings.DEFAULT_FROM_EMAIL = "Membership <noreply@calm.example>"
    creator_client.post(
        "/admin/branding/branding/add/",
        {"site_name": "Calm Club\r\nBcc: eve@evil.example", "accent_colour": "#0f766e"},
    )
    member = UserFactory(email="ada@example.test")

    send_login_link(member=member)

    (message,) = mail.outbox
    assert message.recipients() == ["ada@example.test"]
    headers = message.message().as_bytes().split(b"\n\n")[0]
    assert b"\nBcc:" not in headers
    from_line = next(line for line in headers.split(b"\n") if line.startswith(b"From:"))
    assert b"Calm Club" in from_line
    assert b"<noreply@calm.example>" in from_line
    assert message.from_email == '"Calm Club Bcc: eve@evil.example" <noreply@calm.example>'
