"""Labels and number formats shared by the admin page and the command (same words, same order)."""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 30

STEP_LABELS = {
    "visitors": _("Sales page visitors"),
    "signups": _("Lead magnet sign-ups"),
    "confirmations": _("Confirmed sign-ups"),
    "first_purchases": _("First purchases"),
}


def default_range(*, today: date | None = None) -> tuple[date, date]:
    """The last 30 days up to today (site time zone)."""
    if today is None:
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def format_percent(value: Decimal | None) -> str:
    """12.5% in English, 12,5 % in German (no-break space), 12,5% in Dutch; – for none."""
    if value is None:
        return "–"
    number = formats.number_format(value, decimal_pos=1, use_l10n=True)
    if (get_language() or "en").startswith("de"):
        return f"{number}\u00a0%"
    return f"{number}%"
