"""When a step goes out: the member's local morning, ``delay_days`` calendar days after a base.

The base is the enrolment for the first step and the previous e-mail for the others. The step
goes out at MORNING on the base's local date plus the delay, or the morning after when that
moment is already past (only possible with a delay of 0). Local dates and DST come from
``zoneinfo``: 08:00 exists on every day in every zone (clocks change at night).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

MORNING = time(8, 0)


@cache
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def step_due_at(*, base: datetime, delay_days: int, tz: ZoneInfo) -> datetime:
    """The first local MORNING at least ``delay_days`` calendar days after ``base``."""
    day = base.astimezone(tz).date() + timedelta(days=delay_days)
    due = datetime.combine(day, MORNING, tzinfo=tz)
    if due < base:
        due = datetime.combine(day + timedelta(days=1), MORNING, tzinfo=tz)
    return due
