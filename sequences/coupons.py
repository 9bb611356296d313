"""The win-back coupon a step's text inserts as ``{coupon}`` (an ``offers.Coupon`` code).

Decision: a coupon must never be mailed when the buyer could not use it. The admin refuses a
code that names no coupon, or one that is inactive, expired or used up (checked when the code
is entered or changed). When the e-mail is built (the outbox sends it, maybe days later) the
coupon is checked again: if it has become unusable since, the e-mail is not sent at all (its
status says why, ``SequenceEmail.Status.COUPON_INVALID``), because a text written around a
discount makes no sense with the code cut out. The member's next step still follows; the
creator sees the skipped e-mails in the admin's list of sequence e-mails.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from offers.models import Coupon
from offers.selectors import counted_redemptions, normalize_code


def coupon_problem(code: str, *, now: datetime) -> str:
    """Why ``code`` cannot be mailed as a coupon now (a message for the creator), or ""."""
    normalized = normalize_code(code)
    coupon = Coupon.objects.filter(code__iexact=normalized).first() if normalized else None
    if coupon is None:
        return _("No coupon has the code %(code)s.") % {"code": normalized}
    if not coupon.is_active:
        return _("The coupon %(code)s is not active.") % {"code": coupon.code}
    if coupon.valid_until is not None and now >= coupon.valid_until:
        return _("The coupon %(code)s has expired.") % {"code": coupon.code}
    if coupon.max_redemptions is not None and counted_redemptions(coupon) >= coupon.max_redemptions:
        return _("The coupon %(code)s has been used up.") % {"code": coupon.code}
    return ""
