"""Cheaper per-row pieces for admin lists with many rows (issue 14: 10,000 grants under 300 ms)."""

from __future__ import annotations

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

# Django's own msgid, translated in Django's catalogue; not a literal in a call, so makemessages
# does not copy it into ours.
SELECT_LABEL = "Select this object for an action - {}"


class PlainActionCheckbox:
    """The action checkbox of each row as plain HTML instead of a widget template per row.

    Django renders a ``CheckboxInput`` through the template engine for every row: about a fifth
    of the grants list's CPU time at 50 rows (cProfile). This writes the same element, with the
    same name, value, class and label, so the actions and the "select all" toggle work as before.
    """

    def action_checkbox(self, obj) -> SafeString:
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext(SELECT_LABEL), str(obj)),
        )
