"""The "confirm deleting your account" e-mail and the request that queues it."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from billing.emails import build_email
from members.models import MemberEvent, User
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue
from privacy.tokens import MAX_AGE_SECONDS, encode_pk, erasure_tokens


@transaction.atomic
def request_erasure(*, member: User, now: datetime) -> None:
    """Queue the confirmation e-mail (after commit, through the outbox) with an audit row.
    Nothing is erased until the link in it is used."""
    MemberEvent.objects.create(
        member=member,
        kind=MemberEvent.Kind.ERASURE_REQUESTED,
        at=now,
        reason="requested by the member from the profile",
    )
    message = Outgoing(
        OutboxMessage.Kind.ERASURE_CONFIRMATION_EMAIL, member.pk, {"member_id": member.pk}
    )
    enqueue(message, now=now)


def confirmation_url(member: User) -> str:
    path = reverse(
        "privacy:confirm_erasure",
        kwargs={"uidb64": encode_pk(member), "token": erasure_tokens.make_token(member)},
    )
    return settings.SITE_URL + path


def send_erasure_confirmation(*, member_id: int, now: datetime) -> bool:
    """The outbox handler; nothing to send to an account that is gone or deactivated."""
    member = User.objects.filter(pk=member_id, is_active=True).first()
    if member is None:
        return False
    message = build_email(
        member=member,
        template="erasure_confirmation",
        context={
            "confirm_url": confirmation_url(member),
            "max_age_hours": MAX_AGE_SECONDS // 3600,
        },
    )
    message.send()
    return True
