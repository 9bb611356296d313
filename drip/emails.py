"""E-mails of the drip jobs, each in the member's language with dates in their time zone."""

from __future__ import annotations

import logging

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


def send_lesson_notice_emails(*, notice_pks: list[int]) -> int:
    notices = LessonNotice.objects.filter(
        pk__in=notice_pks, status=LessonNotice.Status.SENT, member__lesson_notifications=True
    ).select_related("member", "lesson__module__product")
    messages = [
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
    return _send(messages)


def send_lapse_emails(*, grant_pks: list[int]) -> int:
    grants = AccessGrant.objects.filter(
        pk__in=grant_pks, state=AccessGrant.State.EXPIRED
    ).select_related("member", "product")
    messages = [
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
    return _send(messages)
