"""Signed, expiring download links bound to one member.

A link carries the download and the member, signed with ``django.core.signing`` and stamped with
its creation time. The view refuses a tampered or expired link (403), another member's link (403)
and an unknown download (404), then asks the access service. With private files in an S3 bucket
the member is redirected to a presigned URL of the object that expires after
``PRIVATE_FILE_URL_SECONDS``. On local disk files are streamed by Django (``FileResponse``) in
development, or handed to nginx with ``X-Accel-Redirect`` when
``DOWNLOAD_X_ACCEL_REDIRECT_PREFIX`` is set (nginx maps that internal location to
``PRIVATE_MEDIA_ROOT``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from products.models import Download, LessonAttachment
from products.storage import is_remote, presigned_url

logger = logging.getLogger(__name__)

SALT = "members.download-link"
ATTACHMENT_SALT = "members.lesson-attachment-link"


class LinkRefused(Exception):  # noqa: N818 - a refusal, not a crash
    """The link is tampered, expired or not the requesting member's."""


@dataclass(frozen=True)
class LinkTarget:
    download_pk: int
    member_pk: int


def max_age_seconds() -> int:
    return settings.DOWNLOAD_LINK_MAX_AGE_SECONDS


def download_url(*, member, download: Download) -> str:
    token = signing.dumps({"d": download.pk, "m": member.pk}, salt=SALT, compress=False)
    return reverse("members:download", kwargs={"token": token})


def read_link(*, token: str, member) -> LinkTarget:
    """Check signature, age and owner; raise ``LinkRefused`` on any failure."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age_seconds())
    except signing.BadSignature as error:  # includes SignatureExpired
        raise LinkRefused(str(error)) from error
    if (
        not isinstance(data, dict)
        or data.get("m") != member.pk
        or not isinstance(data.get("d"), int)
    ):
        raise LinkRefused("link belongs to another member")
    return LinkTarget(download_pk=data["d"], member_pk=data["m"])


def attachment_url(*, member, attachment: LessonAttachment) -> str:
    token = signing.dumps({"a": attachment.pk, "m": member.pk}, salt=ATTACHMENT_SALT)
    return reverse("members:lesson_attachment", kwargs={"token": token})


def read_attachment_link(*, token: str, member) -> int:
    """The attachment's pk; raise ``LinkRefused`` like ``read_link`` on any failure."""
    try:
        data = signing.loads(token, salt=ATTACHMENT_SALT, max_age=max_age_seconds())
    except signing.BadSignature as error:
        raise LinkRefused(str(error)) from error
    if not isinstance(data, dict) or data.get("m") != member.pk:
        raise LinkRefused("link belongs to another member")
    if not isinstance(data.get("a"), int):
        raise LinkRefused("link belongs to another member")
    return data["a"]


def serve_download(download: Download | LessonAttachment) -> HttpResponse:
    """The file for a member who passed the access check.

    Raises ``StorageUnavailable`` when the store does not answer (the middleware answers 503)
    and ``Http404`` when the file is missing, before anything is sent.
    """
    field_file = download.file
    filename = PurePosixPath(field_file.name).name
    prefix = settings.DOWNLOAD_X_ACCEL_REDIRECT_PREFIX
    try:
        if is_remote(field_file.storage):
            response = HttpResponseRedirect(
                presigned_url(field_file.storage, field_file.name, filename=filename)
            )
        elif prefix:
            response = HttpResponse(content_type="application/octet-stream")
            response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(field_file.name)
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        else:
            response = FileResponse(field_file.open("rb"), as_attachment=True, filename=filename)
    except FileNotFoundError as error:
        logger.error("private file %r is missing from the store", field_file.name)
        raise Http404 from error
    response["Cache-Control"] = "private, no-store"
    return response
