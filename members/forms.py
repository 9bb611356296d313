"""The member's profile form. E-mail and password changes use allauth's own pages."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import User


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(zone, zone.replace("_", " ")) for zone in zones]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
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
