"""The confirmation e-mail of a sign-up, sent by the outbox (see ``outbox.handlers``).

The visitor has no account yet: the e-mail speaks the language they signed up in, with the
site's branding, and carries a fresh signed link (valid for seven days, see ``leads.tokens``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from branding.selectors import current_brand, from_email
from leads.models import SignUp
from leads.tokens import LINK_MAX_AGE, make_token


def confirmation_url(signup: SignUp) -> str:
    token = make_token(signup_pk=signup.pk, product_pk=signup.product_id)
    return settings.SITE_URL + reverse("leads:confirm", kwargs={"token": token})


def send_signup_confirmation(*, signup_id: int, now: datetime) -> bool:
    """Outbox handler: the link to confirm; nothing for a sign-up confirmed or deleted since."""
    signup = (
        SignUp.objects.select_related("product")
        .filter(pk=signup_id, confirmed_at__isnull=True)
        .first()
    )
    if signup is None:
        return False
    language = signup.language or settings.LANGUAGE_CODE
    with translation.override(language):
        brand = current_brand()
        context = {
            "LANGUAGE_CODE": language,  # the layout's <html lang>
            "signup": signup,
            "product": signup.product,
            "confirm_url": confirmation_url(signup),
            "max_age_days": LINK_MAX_AGE.days,
            "site_url": settings.SITE_URL,
            "branding": brand,
        }
        subject = render_to_string("emails/lead_confirmation_subject.txt", context)
        text = render_to_string("emails/lead_confirmation.txt", context)
        html = render_to_string("emails/lead_confirmation.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=from_email(brand),
        to=[signup.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True
