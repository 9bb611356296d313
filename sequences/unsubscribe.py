"""Unsubscribe links: a signed token naming the member, no login needed, no expiry.

The token only ever turns marketing e-mails off (or shows that page), so it may live as long as
the e-mail does (RFC 8058 asks that one-click links keep working). It carries the member's pk
and the HMAC of Django's signer with its own salt; a changed or made-up token names nobody.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from members.models import User

SALT = "sequences.unsubscribe"


def unsubscribe_token(member_pk: int) -> str:
    return signing.dumps(member_pk, salt=SALT)


def unsubscribe_url(member_pk: int) -> str:
    return settings.SITE_URL + reverse(
        "sequences:unsubscribe", kwargs={"token": unsubscribe_token(member_pk)}
    )


def member_from_token(token: str) -> User | None:
    try:
        member_pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(member_pk, int):
        return None
    return User.objects.filter(pk=member_pk).first()
