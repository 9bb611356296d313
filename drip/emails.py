"""E-mails of the drip jobs, each in the member's language with dates in their time zone.

One outbox row per e-mail (written by the job that claimed the notice or expired the grant);
``send_lesson_notice_email`` and ``send_lapse_email`` are their handlers (``outbox.handlers``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from branding.selectors import current_brand, from_email
from drip.models import LessonNotice
from members.access import access_ends_at
from members.models import AccessGrant

logger = logging.getLogger(__name__)


def _message(*, member, template: str, context: dict) -> EmailMessage:
    language = member.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(member.zone):
        brand = current_brand()
        context = {"member": member, "site_url": settings.SITE_URL, "branding": brand, **context}
        subject = " ".join(render_to_string(f"drip/emails/{template}_subject.txt", context).split())
        body = render_to_string(f"drip/emails/{template}.txt", context)
    return EmailMessage(subject=subject, body=body, from_email=from_email(brand), to=[member.email])


def _send(messages: list[EmailMessage]) -> int:
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def _lesson_notice_messages(notices) -> list[EmailMessage]:
    return [
        _message(
            member=notice.member,
            template="lesson_available",
            context={
                "lesson": notice.lesson,
                "course": notice.lesson.module.product,
                "lesson_url": settings.SITE_URL + notice.lesson.get_absolute_url(),
                "profile_url": settings.SITE_URL + reverse("members:profile"),
            },
        )
        for notice in notices
    ]


def _lapse_messages(grants) -> list[EmailMessage]:
    return [
        _message(
            member=grant.member,
            template="access_lapsed",
            context={
                "product": grant.product,
                "ended_at": access_ends_at(grant),
                "dashboard_url": settings.SITE_URL + reverse("members:dashboard"),
                "catalog_url": settings.SITE_URL + grant.product.get_catalog_url(),
            },
        )
        for grant in grants
    ]


def _claimed_notices(notice_pks: list[int]):
    return LessonNotice.objects.filter(
        pk__in=notice_pks, status=LessonNotice.Status.SENT, member__lesson_notifications=True
    ).select_related("member", "lesson__module__product")


def _expired_grants(grant_pks: list[int]):
    return AccessGrant.objects.filter(
        pk__in=grant_pks, state=AccessGrant.State.EXPIRED
    ).select_related("member", "product")


def send_lesson_notice_email(*, notice_pk: int, now: datetime) -> bool:
    """Outbox handler: the "new lesson" e-mail of one claimed notice (unless opted out since)."""
    return _send(_lesson_notice_messages(_claimed_notices([notice_pk]))) > 0


def send_lapse_email(*, grant_pk: int, now: datetime) -> bool:
    """Outbox handler: "your access ended", unless the grant was renewed or restored since."""
    return _send(_lapse_messages(_expired_grants([grant_pk]))) > 0


# Used by the legacy batch tasks only (copies queued before the outbox).
def send_lesson_notice_emails(*, notice_pks: list[int]) -> int:
    return _send(_lesson_notice_messages(_claimed_notices(notice_pks)))


def send_lapse_emails(*, grant_pks: list[int]) -> int:
    return _send(_lapse_messages(_expired_grants(grant_pks)))
