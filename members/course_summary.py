"""What a dashboard card shows of a course: lessons done, what to continue, what opens next.

``members.selectors.build_course_progress`` makes a ``LessonState`` and a ``LessonRow`` for each
lesson and groups them by module, which the outline and the lesson page need; the dashboard shows
only four answers per course, and building every row was a sixth of its CPU (issue 20). This is
``members.access.compute_lesson_state`` run over a course at once: the grant's part of it (access,
the drip clock, a pause) once per course, each opening from ``members.access.Openings`` (pure
values kept per drip clock), rows only for the two lessons a card names. Lock states are not kept
between calls: they depend on the member's grant, zone, recorded openings and the moment, so they
are computed per request.
``tests/members/test_course_summary.py`` holds it to ``build_course_progress``'s answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from members.access import (
    LOCKED,
    OPEN,
    LessonState,
    Openings,
    clock_now,
    grant_allows_access,
)
from members.models import AccessGrant
from members.selectors import CourseData, LessonRow
from products.outline import OutlineLesson

_PREVIEW = LessonState(OPEN, is_preview=True)


@dataclass(frozen=True, slots=True)
class CourseSummary:
    """``CourseProgress`` without its rows: what ``{% course_progress %}`` and
    ``{% course_continue %}`` read, with the same values."""

    done: int
    total: int
    continue_row: LessonRow | None
    next_opening: LessonRow | None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def summarise_course(
    *,
    grant: AccessGrant | None,
    lessons: list[OutlineLesson],
    data: CourseData,
    tz: ZoneInfo,
    now: datetime,
) -> CourseSummary:
    """``build_course_progress``'s done, total, continue and next opening for one course."""
    done_lessons, recorded_at = data.done_lessons, data.recorded_open_at.get
    has_access = grant is not None and grant_allows_access(grant, now=now)
    if has_access:
        clock, starts_at = clock_now(grant, now=now), grant.starts_at
        openings = Openings(grant, tz).each(lessons)
        # While paused a locked drip lesson opens as if the grant resumed now.
        resumed_shift = now - clock if grant.paused_since is not None else None
    else:
        openings = [None] * len(lessons)
    done = 0
    continue_lesson, continue_state = None, None
    next_lesson, next_opens_at = None, None
    for lesson, opening in zip(lessons, openings, strict=True):
        is_done = lesson.pk in done_lessons
        if is_done:
            done += 1
        if lesson.is_free_preview:
            if continue_lesson is None and not is_done:
                continue_lesson, continue_state = lesson, _PREVIEW
            continue
        if opening is None:
            continue  # no access: neither open nor locked
        opens_at, opens_at_utc = opening
        # Open by the clock, or recorded open within the current drip clock (a restart of the
        # clock forgets openings recorded before it).
        if opens_at_utc <= clock or (
            (at := recorded_at(lesson.pk)) is not None and at >= starts_at
        ):
            if continue_lesson is None and not is_done:
                continue_lesson, continue_state = lesson, LessonState(OPEN, opens_at=opens_at)
            continue
        if resumed_shift is not None and lesson.opens_on is None:
            opens_at += resumed_shift
        if next_opens_at is None or opens_at < next_opens_at:
            next_lesson, next_opens_at = lesson, opens_at
    return CourseSummary(
        done=done,
        total=len(lessons),
        continue_row=_row(continue_lesson, continue_state, data),
        next_opening=_row(next_lesson, LessonState(LOCKED, opens_at=next_opens_at), data),
    )


def _row(lesson: OutlineLesson | None, state: LessonState, data: CourseData) -> LessonRow | None:
    if lesson is None:
        return None
    viewed = data.views.get(lesson.pk)
    return LessonRow(
        lesson=lesson,
        state=state,
        is_done=viewed is not None and viewed.is_done,
        last_viewed_at=viewed.last_viewed_at if viewed else None,
    )
