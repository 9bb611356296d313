"""Signed, expiring links to a post's files, bound to one member (like ``members.downloads``)."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from magazine.models import PostFile
from members.downloads import LinkRefused, max_age_seconds

SALT = "magazine.post-file-link"


def post_file_url(*, member, item: PostFile) -> str:
    token = signing.dumps({"f": item.pk, "m": member.pk}, salt=SALT)
    return reverse("magazine:post_file", kwargs={"token": token})


def read_post_file_link(*, token: str, member) -> int:
    """The file's pk; raise ``LinkRefused`` if tampered, expired or another member's."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age_seconds())
    except signing.BadSignature as error:  # includes SignatureExpired
        raise LinkRefused(str(error)) from error
    if not isinstance(data, dict) or data.get("m") != member.pk:
        raise LinkRefused("link belongs to another member")
    if not isinstance(data.get("f"), int):
        raise LinkRefused("link belongs to another member")
    return data["f"]
