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

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
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
from products.outline import Outline, OutlineLesson

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
    outline: Outline | None = None,
) -> CourseSummary:
    """``build_course_progress``'s done, total, continue and next opening for one course.

    Given the course's ``outline`` (whose lessons ``lessons`` are), a grant with access and no
    pause takes ``_summarise_by_time``: the same answers without visiting every lesson.
    """
    done_lessons, recorded_at = data.done_lessons, data.recorded_open_at.get
    has_access = grant is not None and grant_allows_access(grant, now=now)
    if has_access and outline is not None and grant.paused_since is None:
        return _summarise_by_time(grant, outline, data, tz, now)
    if has_access:
        clock, starts_at = clock_now(grant, now=now), grant.starts_at
        openings = Openings(grant, tz).each(lessons)
        # While paused a locked drip lesson opens as if the grant resumed now.
        resumed_shift = now - clock if grant.paused_since is not None else None
    else:
        openings = [None] * len(lessons)
    done = 0
    continue_lesson, continue_state = None, None
    next_lesson, next_opens_at, next_utc = None, None, None
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
            opens_at_utc = opens_at.astimezone(UTC)
        if next_opens_at is None or opens_at_utc < next_utc:  # the earliest instant
            next_lesson, next_opens_at, next_utc = lesson, opens_at, opens_at_utc
    return CourseSummary(
        done=done,
        total=len(lessons),
        continue_row=_row(continue_lesson, continue_state, data),
        next_opening=_row(next_lesson, LessonState(LOCKED, opens_at=next_opens_at), data),
    )


def _summarise_by_time(
    grant: AccessGrant, outline: Outline, data: CourseData, tz: ZoneInfo, now: datetime
) -> CourseSummary:
    """``summarise_course`` for a grant with access and no pause (the drip clock is ``now``):

    - done: the outline's lessons in the member's done set (one set operation);
    - continue: the first lesson in course order not done and open (a free preview, open by
      the clock, or recorded open within the current clock), found by walking only as far as
      it;
    - next opening: the earliest of the locked lessons (not a preview, opening after ``now``,
      not recorded open), found from the lessons sorted by opening (``Openings.by_time``,
      ties in course order as the full walk keeps them), walking from ``now`` only as far as
      the first one locked.
    """
    lessons, starts_at = outline.lessons, grant.starts_at
    done_lessons, recorded_at = data.done_lessons, data.recorded_open_at.get
    openings = Openings(grant, tz)
    known = openings._known  # noqa: SLF001 - the clock's openings, read as ``each`` reads them

    continue_lesson, continue_state = None, None
    for lesson in lessons:
        if lesson.pk in done_lessons:
            continue
        if lesson.is_free_preview:
            continue_lesson, continue_state = lesson, _PREVIEW
            break
        opens_at, opens_at_utc = known.get(lesson.opening_key) or openings(lesson)
        if opens_at_utc <= now or ((at := recorded_at(lesson.pk)) is not None and at >= starts_at):
            continue_lesson, continue_state = lesson, LessonState(OPEN, opens_at=opens_at)
            break

    next_lesson, next_opens_at = None, None
    moments, entries = openings.by_time(outline)
    for _utc, index, opens_at in entries[bisect_right(moments, now) :]:
        lesson = lessons[index]
        if lesson.is_free_preview:
            continue
        if (at := recorded_at(lesson.pk)) is not None and at >= starts_at:
            continue
        next_lesson, next_opens_at = lesson, opens_at
        break

    return CourseSummary(
        done=len(outline.lesson_pks & done_lessons) if done_lessons else 0,
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
