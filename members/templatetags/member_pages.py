"""Template tags for the member area's hot paths (issue 20).

A course outline has one row per lesson, and an ``{% include %}`` per row (with its own nested
include for the opening date) cost more CPU than everything else on a lesson page; then a
``format_html`` per piece of each row still did. Rows are now written as plain strings from
pieces escaped once: the lesson's title and URL when its outline is cached
(``OutlineLesson.title_html``), the translated labels once per outline, each opening date once.
The markup is the templates' own, every value escaped (``tests/members/test_outline_cache.py``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import NamedTuple

from django import template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from membership_site.remembered import Remembered
from membership_site.url_cache import cached_url, url_context

register = template.Library()


_opens_on_labels = Remembered()


def opens_on(opens_at, tz=None, language: str | None = None) -> str:
    """``members/_opens_on.html`` in Python: "opens on 24 Dec" in the member's language.

    ``MONTH_DAY_FORMAT`` shows the day and month only, so the label depends on the local day
    and the language: it is formatted once per process, not once per locked lesson and request.
    """
    local = timezone.localtime(opens_at, tz)
    if language is None:
        language = translation.get_language()

    def make() -> str:
        return gettext("opens on %(date)s") % {"date": date_format(local, "MONTH_DAY_FORMAT")}

    return _opens_on_labels.get((local.date(), language), make)


class _CardLabels:
    """The dashboard card's fixed texts in one language, translated once per process: escaped
    where the template's ``{% translate %}`` escaped them, as is where ``{% blocktranslate %}``
    fills them in with escaped values."""

    def __init__(self, language: str | None) -> None:
        self.language = language
        self.course_progress = escape(gettext("Course progress"))
        self.up_to_date = escape(gettext("You have done every open lesson."))
        self.finished = escape(gettext("You have finished this course."))
        self.buy_again = escape(gettext("Buy again"))
        self.active = escape(gettext("Active"))
        self.continue_to = gettext("Continue: %(title)s")
        self.next_lesson = gettext("Next lesson: %(title)s")
        self.included_in = gettext("Included in %(name)s")
        self.lessons_done = gettext("%(done)s of %(total)s lessons done (%(percent)s%%)")


_card_labels = Remembered()
_lessons_done = Remembered()
_opens_on_html_labels = Remembered()


def _labels() -> _CardLabels:
    language = translation.get_language()
    return _card_labels.get(language, lambda: _CardLabels(language))


class _RowTexts:
    """An outline row's fixed labels in one language, translated and escaped once per process."""

    def __init__(self) -> None:
        self.done = '<span aria-hidden="true">✓ </span>' + escape(gettext("done"))
        self.preview = escape(gettext("free preview"))
        self.open = escape(gettext("open"))
        self.not_included = escape(gettext("not included"))


_row_texts = Remembered()


class _Labels:
    """The row labels of one outline, each opening date once. The language and zone are read
    once per outline (each read of Django's context-local state cost 15,000 instructions or
    more before ``membership_site.fast_locals``; every locked lesson read both)."""

    def __init__(self) -> None:
        self.language, self.tz = translation.get_language(), timezone.get_current_timezone()
        texts = _row_texts.get(self.language, _RowTexts)
        self.done, self.preview = texts.done, texts.preview
        self.open, self.not_included = texts.open, texts.not_included
        self._opens_on: dict[datetime, str] = {}

    def opens_on(self, opens_at: datetime) -> str:
        label = self._opens_on.get(opens_at)
        if label is None:
            label = escape(opens_on(opens_at, self.tz, self.language))
            self._opens_on[opens_at] = label
        return label


def _row_html(row, *, current_pk: int | None, oob: bool, labels: _Labels) -> str:
    """One lesson of the outline (``members/_outline_item.html``): its link while open, its
    state (done, free preview, open, opening date, not included)."""
    lesson, state = row.lesson, row.state
    if row.is_done:
        css = "done"
    elif state.is_open:
        css = "open"
    elif state.is_locked:
        css = "locked"
    else:
        css = "no-access"
    if row.is_done:
        label = labels.done
    elif state.is_preview:
        label = labels.preview
    elif state.is_open:
        label = labels.open
    elif state.is_locked:
        label = labels.opens_on(state.opens_at)
    else:
        label = labels.not_included
    if state.is_open:
        title = f'<a href="{lesson.url_html}">{lesson.title_html}</a>'
    else:
        title = f"<span>{lesson.title_html}</span>"
    current = ' current"' if lesson.pk == current_pk else '"'
    swap = ' hx-swap-oob="true"' if oob else ""
    aria = ' aria-current="page"' if lesson.pk == current_pk else ""
    return (
        f'<li id="lesson-row-{lesson.pk}" class="lesson-row {css}{current} '
        f'data-lesson="{lesson.pk}"{swap}{aria}>\n      {title}\n      '
        f'<small class="lesson-state">{label}</small>\n    </li>'
    )


def _pk(current) -> int | None:
    return current.pk if current else None


@register.simple_tag
def outline_item(row, current=None, oob=False) -> SafeString:
    """One outline row (the htmx answer to "mark complete" swaps it in)."""
    return mark_safe(_row_html(row, current_pk=_pk(current), oob=bool(oob), labels=_Labels()))  # noqa: S308 - every value escaped above


@register.simple_tag
def course_outline(course, current=None) -> SafeString:
    """The whole outline (once the template ``members/_outline.html``): modules with their
    lesson rows."""
    labels, current_pk = _Labels(), _pk(current)
    row_html: Callable = _row_html
    parts = [f'<nav class="outline" aria-label="{escape(gettext("Course outline"))}">\n']
    for module_row in course.modules:
        parts.append(f'\n  <h3>{escape(module_row.module.title)}</h3>\n  <ol class="lessons">\n  ')
        for row in module_row.lessons:
            parts.append("\n    ")
            parts.append(row_html(row, current_pk=current_pk, oob=False, labels=labels))
            parts.append("\n  ")
        parts.append("\n  </ol>\n")
    parts.append("\n</nav>")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped in _row_html and here


def _escape(value) -> str:
    """``escape`` as the card writes it: the same ``html.escape`` of the text, without the
    check for lazy arguments and the ``SafeString`` that ``escape`` makes on each of the
    hundred calls of a dashboard (the card is marked safe once, whole)."""
    return html.escape(str(value))


def _blocktranslate(translated: str, **values) -> str:
    """``{% blocktranslate with name=value %}``: the translation as is, each value localized
    and escaped (``{% translate %}`` text, by contrast, is escaped whole). Callers pass
    ``gettext("literal")`` so that makemessages finds the text."""
    return translated % {name: _escape(localize(value)) for name, value in values.items()}


def _opens_on_html(opens_at: datetime, language: str | None, tz=None) -> str:
    """``members/_opens_on.html``: "opens on 24 December" in the member's zone (``tz``, else the
    active one) and language, formatted once per process per local day and language (as
    ``opens_on``)."""
    local = timezone.localtime(opens_at, tz)

    def make() -> str:
        day = date_format(local, "MONTH_DAY_FORMAT")
        return _blocktranslate(gettext("opens on %(date)s"), date=day)

    return _opens_on_html_labels.get((local.date(), language), make)


def _lessons_done_html(done: int, total: int, percent: int, labels: _CardLabels) -> str:
    """ "3 of 20 lessons done (15%)", numbers localized as ``{% blocktranslate %}`` does: once
    per process per language and pair of counts (the percentage follows from them)."""
    return _lessons_done.get(
        (labels.language, done, total),
        lambda: _blocktranslate(labels.lessons_done, done=done, total=total, percent=percent),
    )


@register.simple_tag
def course_progress(progress, course_product, oob=False) -> SafeString:
    """``members/_progress.html``: the course's progress bar and "3 of 20 lessons done"."""
    written = _progress_html(progress, course_product, oob=oob, labels=_labels())
    return mark_safe(written)  # noqa: S308 - values escaped in the helper


def _progress_html(progress, course_product, *, oob, labels: _CardLabels) -> str:
    done = _lessons_done_html(progress.done, progress.total, progress.percent, labels)
    swap = ' hx-swap-oob="true"' if oob else ""
    return (
        f'<div class="course-progress" id="course-progress-{course_product.pk}"{swap}>\n'
        f'  <progress value="{progress.percent}" max="100" '
        f'aria-label="{labels.course_progress}"></progress>\n'
        f'  <p class="progress-text"><small>{done}</small></p>\n</div>\n'
    )


def _continue_line(course, labels: _CardLabels) -> str:
    if course.continue_row:
        lesson = course.continue_row.lesson
        label = _blocktranslate(labels.continue_to, title=lesson.title)
        return f'\n  <p><a role="button" href="{lesson.url_html}">{label}</a></p>\n'
    if course.next_opening:
        return f'\n  <p class="up-to-date">{labels.up_to_date}</p>\n'
    if course.total and course.done == course.total:
        return f'\n  <p class="course-finished">{labels.finished}</p>\n'
    return ""


@register.simple_tag
def course_continue(course, course_product) -> SafeString:
    """ "Continue" (once the template ``members/_continue.html``): the first open lesson not done
    yet, else what opens next."""
    return mark_safe(_continue_html(course, course_product, _labels()))  # noqa: S308 - escaped there


def _continue_html(course, course_product, labels: _CardLabels, tz=None) -> str:
    following = ""
    if course.next_opening:
        lesson = course.next_opening.lesson
        title = _blocktranslate(labels.next_lesson, title=lesson.title)
        when = _opens_on_html(course.next_opening.state.opens_at, labels.language, tz)
        following = f'\n  <p class="next-opening">{title} · {when}</p>\n'
    return (  # values escaped in the helpers
        f'\n<div class="course-continue" id="course-continue-{course_product.pk}">\n'
        f"{_continue_line(course, labels)}\n{following}\n</div>\n"
    )


def _date(value, tz=None) -> str:
    """``{{ value|date:"DATE_FORMAT" }}`` before escaping: in ``tz`` (else the current zone), ""
    for none."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, tz)
    return date_format(value, "DATE_FORMAT")


def _card_state(item, labels: _CardLabels, tz=None) -> str:
    """The state line of a dashboard card, with the whitespace the template's branches left."""
    return _card_state_text(item, labels, tz) + ("\n      " if _card_state_has_gap(item) else "")


def _card_state_has_gap(item) -> bool:
    """Every branch but the last ("Ended") ended with the template's line break."""
    return bool(
        (item.included_by and item.is_live) or item.state in ("active", "grace")
        or item.opens_at or item.state == "pending"
    )  # fmt: skip


def _card_state_text(item, labels: _CardLabels, tz=None) -> str:
    if item.included_by and item.is_live:
        return _blocktranslate(labels.included_in, name=item.included_by.name)
    if item.state == "active" and item.is_complimentary:
        if item.ends_at:
            until = _date(item.grant.paid_through, tz)
            return _blocktranslate(gettext("Complimentary, until %(date)s"), date=until)
        return escape(gettext("Complimentary"))
    if item.state == "active":
        if item.ends_at:
            until = _date(item.grant.paid_through, tz)
            return _blocktranslate(gettext("Active, paid through %(date)s"), date=until)
        return labels.active
    if item.state == "grace":
        until = _date(item.ends_at, tz)
        return _blocktranslate(gettext("Payment due: access until %(date)s"), date=until)
    if item.opens_at:
        return _blocktranslate(gettext("Opens on %(date)s"), date=_date(item.opens_at, tz))
    if item.state == "pending":
        return escape(gettext("Waiting for payment"))
    ended = escape(gettext("Ended"))
    if item.grant.ended_at:
        ended += " · " + escape(_date(item.grant.ended_at, tz))
    return ended


class CardContext(NamedTuple):
    """What every card reads from the request's state, read once for all of a dashboard's
    cards: each read of Django's context-local language, zone or URL settings costs
    15,000-27,000 instructions before ``membership_site.fast_locals`` (about 2,000 since), and
    the cards made about 50 of them (issue 20)."""

    labels: _CardLabels
    tz: tzinfo
    urls: tuple  # membership_site.url_cache.url_context()


@register.simple_tag
def card_context() -> CardContext:
    """``{% card_context as cards %}`` before the cards; each ``{% product_card item cards %}``."""
    return CardContext(_labels(), timezone.get_current_timezone(), url_context())


@register.simple_tag
def product_card(item, cards=None) -> SafeString:
    """One product of the dashboard (``members/dashboard.html``'s card before issue 20): name
    and link, state, course progress and "Continue", "Buy again" once it ended. ``cards``:
    the ``card_context`` of the page (read here if not given)."""
    if not isinstance(cards, CardContext):
        cards = card_context()
    product, labels, tz = item.product, cards.labels, cards.tz
    if item.opens_at:
        css = " pending"
    elif not item.is_live:
        css = " ended"
    else:
        css = ""
    name = _escape(product.name)
    title = f'<a href="{_escape(item.url_in(cards.urls))}">{name}</a>' if item.is_live else name
    parts = [
        f'<article class="card product-card{css}" data-product="{_escape(product.slug)}">\n'
        f"    <h2>{title}</h2>\n"
        f'    <p class="muted state">\n      {_card_state(item, labels, tz)}\n    </p>\n    '
    ]
    if item.course:
        parts.append(
            f"\n      {_progress_html(item.course, product, oob=False, labels=labels)}"
            f"\n      {_continue_html(item.course, product, labels, tz)}\n    "
        )
    parts.append("\n    ")
    if not item.is_live and item.state != "pending":
        parts.append(
            f'\n      <p><a class="button" href="{escape(product.get_catalog_url())}">'
            f"{labels.buy_again}</a></p>\n    "
        )
    parts.append("\n  </article>")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


@register.simple_tag
def lesson_complete_url(product, lesson) -> str:
    """``{% url 'members:lesson_complete' slug=product.slug lesson_pk=lesson.pk %}``, reversed
    once per process (``membership_site.url_cache``): ``{% url %}`` cost a lesson page about
    100,000 instructions for a URL that depends on the slug and the lesson alone."""
    slug, lesson_pk = product.slug, lesson.pk
    return cached_url(
        "lesson_complete",
        f"{slug}/{lesson_pk}",
        lambda: reverse("members:lesson_complete", kwargs={"slug": slug, "lesson_pk": lesson_pk}),
    )
