"""The sequence e-mail: the step's text in the member's language, with an unsubscribe link
in the footer and in the List-Unsubscribe headers (RFC 2369, one-click per RFC 8058).

``send_sequence_email`` is the outbox handler of ``OutboxMessage.Kind.SEQUENCE_EMAIL``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from branding.selectors import current_brand, from_email
from members.models import User
from sequences.coupons import coupon_problem
from sequences.models import PLACEHOLDER_PATTERN, SequenceEmail, Step
from sequences.services import marketing_emails_wanted
from sequences.unsubscribe import unsubscribe_url

logger = logging.getLogger(__name__)


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace the known ``{name}`` placeholders only (never ``str.format`` on admin text)."""
    return PLACEHOLDER_PATTERN.sub(lambda match: values.get(match[1], match[0]), text)


def _values(*, member: User, email: SequenceEmail) -> dict[str, str]:
    sequence = email.enrolment.sequence
    product = sequence.target_product or sequence.product
    if sequence.target_product is not None:
        link = product.get_catalog_url()
    else:
        link = product.get_absolute_url()
    return {
        "first_name": member.get_short_name(),
        "product": product.name,
        "link": settings.SITE_URL + link,
        "coupon": email.step.coupon_code.strip(),
    }


def _coupon_unusable(*, email: SequenceEmail, member: User, now: datetime) -> bool:
    """The member's text carries {coupon} and the coupon cannot be used any more (see
    sequences.coupons for why the e-mail is then not sent)."""
    subject, body = email.step.text_for(member.language or settings.LANGUAGE_CODE)
    if "{coupon}" not in subject + body:
        return False
    problem = coupon_problem(email.step.coupon_code, now=now)
    if problem:
        logger.warning("sequence e-mail %s not sent: %s", email.pk, problem)
    return bool(problem)


def build_sequence_message(*, member: User, email: SequenceEmail) -> EmailMultiAlternatives:
    step: Step = email.step
    language = member.language or settings.LANGUAGE_CODE
    subject, body = step.text_for(language)
    values = _values(member=member, email=email)
    unsubscribe = unsubscribe_url(member.pk)
    with translation.override(language), timezone.override(member.zone):
        brand = current_brand()
        context = {
            "member": member,
            "site_url": settings.SITE_URL,
            "branding": brand,
            "body": fill_placeholders(body, values),
            "unsubscribe_url": unsubscribe,
        }
        text = render_to_string("sequences/emails/step.txt", context)
        html = render_to_string("sequences/emails/step.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(fill_placeholders(subject, values).split()),
        body=text,
        from_email=from_email(brand),
        to=[member.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def send_sequence_email(*, email_pk: int, now: datetime) -> bool:
    """Outbox handler: send one queued step, unless the enrolment stopped, the member
    unsubscribed or was deactivated, or the sequence was paused since it was queued."""
    with transaction.atomic():
        email = (
            SequenceEmail.objects.select_for_update(of=("self",))
            .select_related(
                "step",
                "enrolment__member",
                "enrolment__sequence__product",
                "enrolment__sequence__target_product",
            )
            .filter(pk=email_pk, status=SequenceEmail.Status.QUEUED)
            .first()
        )
        if email is None:
            return False
        enrolment = email.enrolment
        member = enrolment.member
        if (
            enrolment.stopped_at is not None
            or not member.is_active
            or not enrolment.sequence.is_active
            or not marketing_emails_wanted(member_pk=member.pk)
        ):
            email.status = SequenceEmail.Status.SKIPPED
            email.save(update_fields=["status"])
            return False
        if _coupon_unusable(email=email, member=member, now=now):
            email.status = SequenceEmail.Status.COUPON_INVALID
            email.save(update_fields=["status"])
            return False
        build_sequence_message(member=member, email=email).send()
        email.status = SequenceEmail.Status.SENT
        email.sent_at = now
        email.save(update_fields=["status", "sent_at"])
    return True
