"""The outbox in the admin: a read-only list filtered by state and kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outbox.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
Kind = OutboxMessage.Kind
State = OutboxMessage.State


def row(*, kind: str, state: str, email: str, error: str = "") -> OutboxMessage:
    return OutboxMessage.objects.create(
        kind=kind,
        state=state,
        member=UserFactory(email=email),
        payload={"order_pk": 1},
        created_at=NOW,
        due_at=NOW,
        last_error=error,
        attempts=1 if error else 0,
    )


def test_the_list_filters_by_state_and_kind_and_shows_the_error(creator_client):
    row(kind=Kind.ORDER_EMAIL, state=State.FAILED, email="failed@x.test", error="SMTPError: 550")
    row(kind=Kind.ORDER_EMAIL, state=State.SENT, email="sent@x.test")
    row(kind=Kind.LAPSE_EMAIL, state=State.FAILED, email="lapse@x.test", error="SMTPError: 451")

    page = creator_client.get(
        "/admin/outbox/outboxmessage/?state__exact=failed&kind__exact=order_email"
    )

    assert page.status_code == 200
    content = page.content.decode()
    assert "failed@x.test" in content
    assert "SMTPError: 550" in content
    assert "sent@x.test" not in content
    assert "lapse@x.test" not in content


def test_rows_cannot_be_added_edited_or_deleted(creator_client):
    message = row(kind=Kind.ORDER_EMAIL, state=State.FAILED, email="ada@x.test", error="boom")

    assert creator_client.get("/admin/outbox/outboxmessage/add/").status_code == 403
    change = creator_client.post(
        f"/admin/outbox/outboxmessage/{message.pk}/change/", {"state": "sent", "attempts": 0}
    )
    assert change.status_code == 403
    assert (
        creator_client.post(f"/admin/outbox/outboxmessage/{message.pk}/delete/").status_code == 403
    )
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.FAILED, 1)
    assert (
        creator_client.get(f"/admin/outbox/outboxmessage/{message.pk}/change/").status_code == 200
    )


def test_members_cannot_see_the_outbox(client):
    client.force_login(UserFactory())

    assert client.get("/admin/outbox/outboxmessage/").status_code == 302
