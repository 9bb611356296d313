"""The issues page's rows in Python (issue 20): one ``<li>`` per listed post of the year.

A year holds about a hundred posts; through the template each row resolved its variables,
reversed its URL and formatted its date (a ``{% blocktranslate %}`` for a waiting one), which
cost as much CPU as reading all the posts. Here the URL is reversed once per page, the labels
are translated once, and each date is formatted once per process, day and language. The markup
is the template's own, every value escaped (``tests/magazine/test_issues_rows.py``).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime

from django import template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from membership_site.remembered import Remembered

register = template.Library()

_date_labels = Remembered()
_headings = Remembered()
SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # Django's ``slug`` path converter
STAND_IN = "post-slug-stand-in"


def _date_html(value: datetime, zone, language: str | None) -> str:
    """``{{ value|date:"DATE_FORMAT" }}`` escaped, in ``zone``: the format shows the day (no
    time), so the label depends on the local day and the language only."""
    local = value.astimezone(zone)
    return _date_labels.get(
        (local.date(), language), lambda: escape(date_format(local, "DATE_FORMAT"))
    )


def _heading_html(month: date, language: str | None) -> str:
    """An issue's heading, ``{% blocktranslate with month=issue.month|date:"F Y" %}``: "March
    2026 issue", once per process, month and language."""
    return _headings.get(
        (month, language),
        lambda: gettext("%(month)s issue") % {"month": escape(date_format(month, "F Y"))},
    )


class _Rows:
    """What every row of one page shares: the post URL around its slug, the waiting label."""

    def __init__(self, magazine) -> None:
        url = reverse("magazine:post", kwargs={"slug": magazine.slug, "post": STAND_IN})
        head, tail = url.split(STAND_IN)
        self.magazine_slug, self.head, self.tail = magazine.slug, escape(head), escape(tail)
        # ``{% blocktranslate %}``: the translation as is, the value escaped.
        self.opens = gettext("opens for you on %(date)s")
        self.zone, self.language = timezone.get_current_timezone(), translation.get_language()

    def url_html(self, slug: str) -> str:
        if SLUG.fullmatch(slug):  # reverse() would give head + slug + tail
            return f"{self.head}{slug}{self.tail}"
        url = reverse("magazine:post", kwargs={"slug": self.magazine_slug, "post": slug})
        return escape(url)  # pragma: no cover - reverse() refuses a slug that is not one

    def waiting(self, row) -> str:
        label = self.opens % {"date": _date_html(row.state.opens_at, self.zone, self.language)}
        return (
            f'<li class="post-row waiting"><span>{html.escape(row.title)}</span> '
            f'<span class="post-date">{label}</span></li>'
        )

    def open(self, row) -> str:
        day = _date_html(row.publish_at, self.zone, self.language)
        title = html.escape(row.title)  # what django's escape() does, without the lazy wrapper
        return (
            f'<li class="post-row open"><a href="{self.url_html(row.slug)}">{title}</a> '
            f'<span class="post-date">{day}</span></li>'
        )


def _shared(context, magazine) -> _Rows:
    """One ``_Rows`` per page render (the URL reversed once, not once per issue)."""
    key = (_Rows, magazine.slug)
    found = context.render_context.get(key)
    if found is None:
        found = context.render_context[key] = _Rows(magazine)
    return found


@register.simple_tag(takes_context=True)
def upcoming_rows(context, rows, magazine) -> SafeString:
    """The "Coming up" rows (``{% for row in page.upcoming %}`` once): every one waiting."""
    shared = _shared(context, magazine)
    return mark_safe("".join(shared.waiting(row) for row in rows))  # noqa: S308 - escaped in _Rows


def _rows_html(shared: _Rows, rows) -> str:
    parts = []
    for row in rows:
        line = shared.open(row) if row.state.status == "open" else shared.waiting(row)
        parts.append(f"\n    \n    {line}\n    \n  ")
    return "".join(parts)


@register.simple_tag(takes_context=True)
def issue_sections(context, issues, magazine) -> SafeString:
    """Every issue of the year (``{% for issue in page.issues %}`` once): a section per month
    with its heading, and a row per post: a link while open, else the date it opens for the
    member."""
    shared = _shared(context, magazine)
    parts = []
    for issue in issues:
        anchor = f"issue-{issue.month.year:04d}-{issue.month.month:02d}"
        heading = _heading_html(issue.month, shared.language)
        parts.append(
            f'\n<section class="card issue" aria-labelledby="{anchor}">\n'
            f'  <h2 id="{anchor}">{heading}</h2>\n  <ul class="issue-posts">\n  '
            f"{_rows_html(shared, issue.rows)}\n  </ul>\n</section>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped here and in _Rows
