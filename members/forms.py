"""The member's profile form. E-mail and password changes use allauth's own pages."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.utils.choices import CallableChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from members.models import User
from membership_site.form_html import PythonFormRenderer


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(zone, zone.replace("_", " ")) for zone in zones]


class TimeZoneSelect(forms.Select):
    """Django's select with its ~600 options rendered once per process, not once per request.

    Through templates, the options cost about 70 ms of CPU on every profile page (issue 20).
    The labels are zone names (never translated), so the markup only differs by the attributes
    of the ``<select>`` (the cache key) and which option is selected (set per request).
    """

    _rendered: dict[tuple, str] = {}

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        key = (name, tuple(sorted({**self.attrs, **(attrs or {})}.items())), id(renderer))
        html = self._rendered.get(key)
        if html is None:
            html = str(super().render(name, None, attrs, renderer))
            if len(self._rendered) < 64:
                self._rendered[key] = html
        for selected in self.format_value(value):
            option = format_html('<option value="{}"', selected)
            html = html.replace(f"{option}>", f"{option} selected>", 1)
        return mark_safe(html)  # noqa: S308 - Django's own rendering, values escaped above

    def use_required_attribute(self, initial) -> bool:
        """``Select``'s answer, from the first option alone: iterating callable ``choices``
        normalises all ~600 zones again on every request, only to look at the first."""
        choices = self.choices
        if isinstance(choices, CallableChoiceIterator):
            choices = choices.func()
        first = next(iter(choices), None)
        required = forms.Widget.use_required_attribute(self, initial)
        return required and first is not None and self._choice_has_empty_value(first)


class ProfileForm(forms.ModelForm):
    # The profile page renders this form on every visit: its templates are written in Python,
    # with the same output (issue 20; membership_site/form_html.py).
    default_renderer = PythonFormRenderer()

    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        widget=TimeZoneSelect,
        help_text=_("Lessons open at midnight in this time zone."),
        error_messages={"invalid_choice": _("Choose a time zone from the list.")},
    )

    class Meta:
        model = User
        fields = ["name", "time_zone", "language", "lesson_notifications"]
        labels = {
            "name": _("Name"),
            "language": _("Language"),
            "lesson_notifications": _("E-mail me when a new lesson opens"),
        }
