"""'Send me a new link' answers the same whether or not the address has an account, also when
the mail server is down; the link goes out through the outbox, not inside the request."""

from __future__ import annotations

import socket

import pytest
from django.core import mail

from outbox.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mail_server_down_gives_the_same_answer_for_known_and_unknown_addresses(
    client, settings, django_capture_on_commit_callbacks
):
    UserFactory(email="ada@x.test")
    settings.EMAIL_BACKEND = "membership_site.email_backend.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2

    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post("/login/new/", {"email": "nobody@x.test"})
        known = client.post("/login/new/", {"email": "ada@x.test"})

    assert unknown.status_code == known.status_code == 200
    for page, email in ((unknown, b"nobody@x.test"), (known, b"ada@x.test")):
        assert b"If " + email + b" belongs to an account" in page.content
    # The link is not lost: its outbox row keeps the error and is tried again.
    row = OutboxMessage.objects.get(member__email="ada@x.test")
    assert row.state == OutboxMessage.State.PENDING
    assert row.last_error


def test_the_link_still_arrives(client, django_capture_on_commit_callbacks):
    UserFactory(email="ada@x.test")

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/login/new/", {"email": "ada@x.test"}).status_code == 200

    assert [message.to for message in mail.outbox] == [["ada@x.test"]]
    assert "/login/" in mail.outbox[0].body
