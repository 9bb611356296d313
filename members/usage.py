"""What members did: first use of a grant (support evidence), lesson views, completions and
download counts. Each write is one statement or a guarded insert, so a repeat changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from members.models import AccessGrant, DownloadUse, GrantEvent, LessonProgress
from products.models import Download, Lesson


def record_first_use(*, grant: AccessGrant, now: datetime) -> bool:
    """Stamp the grant's first use once, with a FIRST_USE audit row; True if this call did it.

    The conditional update makes a second request (or a parallel one) a no-op.
    """
    if grant.first_used_at is not None:
        return False
    with transaction.atomic():
        stamped = AccessGrant.objects.filter(pk=grant.pk, first_used_at__isnull=True).update(
            first_used_at=now
        )
        if stamped:
            GrantEvent.objects.create(grant=grant, kind=GrantEvent.Kind.FIRST_USE, at=now)
    grant.first_used_at = grant.first_used_at or now
    return bool(stamped)


def record_lesson_view(*, member, lesson: Lesson, now: datetime) -> None:
    """Remember the open lesson the member looked at (evidence it was opened: it stays open)."""
    LessonProgress.objects.bulk_create(
        [LessonProgress(member=member, lesson=lesson, first_viewed_at=now, last_viewed_at=now)],
        update_conflicts=True,
        unique_fields=["member", "lesson"],
        update_fields=["last_viewed_at"],
    )


def set_lesson_completed(*, member, lesson: Lesson, completed: bool, now: datetime) -> None:
    """Mark an open lesson complete (keeps the first completion time) or not complete."""
    LessonProgress.objects.bulk_create(
        [LessonProgress(member=member, lesson=lesson, first_viewed_at=now, last_viewed_at=now)],
        ignore_conflicts=True,
    )
    rows = LessonProgress.objects.filter(member=member, lesson=lesson)
    if completed:
        rows.filter(completed_at__isnull=True).update(completed_at=now)
    else:
        rows.update(completed_at=None)


def record_download(*, member, download: Download, now: datetime, ip: str | None = None) -> None:
    """Count one download for the member (first and last time, and the last address, kept)."""
    counted = DownloadUse.objects.filter(member=member, download=download).update(
        count=F("count") + 1, last_at=now, last_ip=ip
    )
    if counted:
        return
    try:
        with transaction.atomic():
            DownloadUse.objects.create(
                member=member, download=download, count=1, first_at=now, last_at=now, last_ip=ip
            )
    except IntegrityError:  # a parallel first download inserted the row: count on it
        DownloadUse.objects.filter(member=member, download=download).update(
            count=F("count") + 1, last_at=now, last_ip=ip
        )
