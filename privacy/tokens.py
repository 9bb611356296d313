"""The link that confirms "delete my account": signed, expiring, single-use.

Django's password-reset tokens, salted for this purpose: the hash covers the account's
address, password and last login, so the link stops working once the account is erased (its
address changes), and after ``MAX_AGE_SECONDS``.
"""

from __future__ import annotations

from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from members.login_links import ExpiringTokenGenerator
from members.models import User

MAX_AGE_SECONDS = 24 * 60 * 60


class ErasureTokenGenerator(ExpiringTokenGenerator):
    key_salt = "privacy.tokens.ErasureTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}:{user.is_active}"

    def fresh(self, age: int) -> bool:
        return 0 <= age <= MAX_AGE_SECONDS


erasure_tokens = ErasureTokenGenerator()


def encode_pk(member: User) -> str:
    return urlsafe_base64_encode(force_bytes(member.pk))


def member_for_token(uidb64: str, token: str) -> User | None:
    """The active member the link was made for, or None (bad, used or expired link)."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    member = User.objects.filter(pk=pk, is_active=True).first()
    if member is None or not erasure_tokens.check_token(member, token):
        return None
    return member
