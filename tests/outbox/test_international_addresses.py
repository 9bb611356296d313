"""Issue 11: a mailbox with non-ASCII characters before the @ gets its e-mail (SMTPUTF8), or a
clear failure on the member's admin page; an internationalized domain keeps working (punycode).

A local SMTP server in the test process records the exact bytes it receives.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing.models import Order
from members.models import User
from outbox import tasks
from outbox.models import OutboxMessage
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

JURGEN = "jürgen.straße@example.com"


def headers_of(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def buy(deliver, email: str) -> None:
    response = deliver(
        build_event("checkout.session.completed", price_id="price_course", email=email)
    )
    assert response.status_code == 200


def test_a_non_ascii_mailbox_gets_its_welcome_email_over_smtputf8(
    deliver, course_price, smtp_server
):
    server = smtp_server(smtputf8=True)

    buy(deliver, JURGEN)

    (sent,) = server.transactions
    assert sent.mail_from == b"mail FROM:<noreply@members.test> SMTPUTF8 BODY=8BITMIME\r\n"
    assert sent.rcpt_to == [f"rcpt TO:<{JURGEN}>\r\n".encode()]
    headers = headers_of(sent.data)
    assert f"To: {JURGEN}".encode() in headers  # raw UTF-8, no encoded word in the address
    assert b"From: Membership <noreply@members.test>" in headers
    assert b"Subject: Welcome! Your access to Habit course is ready" in headers
    message = OutboxMessage.objects.get()
    assert (message.kind, message.state, message.attempts) == ("order_email", "sent", 1)
    assert Order.objects.get().welcome_sent_at is not None


def test_without_smtputf8_the_failure_is_kept_and_shown_on_the_members_admin_page(
    deliver, course_price, smtp_server, creator_client, django_capture_on_commit_callbacks
):
    server = smtp_server(smtputf8=False)

    buy(deliver, JURGEN)

    assert server.transactions == []
    assert not [command for command in server.commands if command.upper().startswith(b"MAIL")]
    message = OutboxMessage.objects.get()
    assert (message.kind, message.state, message.attempts) == ("order_email", "failed", 1)
    assert message.last_error == (
        f"SMTPUTF8NotSupportedError: {JURGEN}: the mail server {server.host}:{server.port} does "
        "not offer SMTPUTF8, which an address with non-ASCII characters before the @ needs. "
        "Ask the mail provider to enable it, or use another address."
    )
    assert Order.objects.get().welcome_sent_at is None  # the order's own guard is not set
    member = User.objects.get(email=JURGEN)
    page = creator_client.get(f"/admin/members/user/{member.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Undelivered e-mails" in content
    assert "welcome / purchase e-mail" in content
    assert "does not offer SMTPUTF8" in content

    # A failure a retry cannot fix is not retried by the periodic job ...
    a_day_later = time_machine.travel(timezone.now() + timedelta(days=1))
    with a_day_later, django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_due_outbox_messages.delay().get() == 0
    assert server.transactions == []
    # ... but support can try again once the mail server offers SMTPUTF8.
    server = smtp_server(smtputf8=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(
            "/admin/outbox/outboxmessage/",
            {"action": "retry", "_selected_action": [message.pk]},
        )
    assert response.status_code == 302
    assert [t.rcpt_to for t in server.transactions] == [[f"rcpt TO:<{JURGEN}>\r\n".encode()]]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 2, "")
    page = creator_client.get(f"/admin/members/user/{member.pk}/change/").content.decode()
    assert "does not offer SMTPUTF8" not in page


def test_an_internationalized_domain_is_looked_up_and_sent_in_punycode(
    client, post_committed, db, smtp_server, django_capture_on_commit_callbacks
):
    server = smtp_server(smtputf8=False)  # punycode needs no SMTPUTF8
    User.objects.create_user(email="user@bücher.example", password=None)

    response = post_committed("/login/new/", {"email": "User@Bücher.example"})

    assert response.status_code == 200
    (sent,) = server.transactions
    assert sent.mail_from == b"mail FROM:<noreply@members.test>\r\n"
    assert sent.rcpt_to == [b"rcpt TO:<user@xn--bcher-kva.example>\r\n"]
    assert b"To: user@xn--bcher-kva.example" in headers_of(sent.data)


def test_an_ascii_mailbox_is_sent_as_before(client, post_committed, db, smtp_server):
    server = smtp_server(smtputf8=True)
    User.objects.create_user(email="ada@example.test", password=None)

    post_committed("/login/new/", {"email": "ada@example.test"})

    (sent,) = server.transactions
    assert sent.mail_from == b"mail FROM:<noreply@members.test>\r\n"
    assert sent.rcpt_to == [b"rcpt TO:<ada@example.test>\r\n"]
    assert b"To: ada@example.test" in headers_of(sent.data)
