"""Template tags for the member area's hot paths (issue 20).

A course outline has one row per lesson, and an ``{% include %}`` per row (with its own nested
include for the opening date) cost more CPU than everything else on a lesson page. The row is
built here with ``format_html`` instead: the same markup, every value escaped.
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


def opens_on(opens_at) -> str:
    """``members/_opens_on.html`` in Python: "opens on 24 December" in the member's language."""
    day = date_format(timezone.localtime(opens_at), "MONTH_DAY_FORMAT")
    return gettext("opens on %(date)s") % {"date": day}


@register.simple_tag
def outline_item(row, current=None, oob=False) -> SafeString:
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
    is_current = bool(current) and lesson.pk == current.pk
    if state.is_open:
        title = format_html('<a href="{}">{}</a>', lesson.get_absolute_url(), lesson.title)
    else:
        title = format_html("<span>{}</span>", lesson.title)
    if row.is_done:
        label = format_html('<span aria-hidden="true">✓ </span>{}', gettext("done"))
    elif state.is_preview:
        label = format_html("{}", gettext("free preview"))
    elif state.is_open:
        label = format_html("{}", gettext("open"))
    elif state.is_locked:
        label = format_html("{}", opens_on(state.opens_at))
    else:
        label = format_html("{}", gettext("not included"))
    return format_html(
        '<li id="lesson-row-{pk}" class="lesson-row {css}{current}" data-lesson="{pk}"{oob}{aria}>'
        '\n      {title}\n      <small class="lesson-state">{label}</small>\n    </li>',
        pk=lesson.pk,
        css=css,
        current=" current" if is_current else "",
        oob=mark_safe(' hx-swap-oob="true"') if oob else "",
        aria=mark_safe(' aria-current="page"') if is_current else "",
        title=title,
        label=label,
    )
