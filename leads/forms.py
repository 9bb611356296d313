"""The sign-up form of a lead magnet: e-mail, name, the creator's consent checkbox and a
honeypot field that people never see (hidden on screen and from screen readers)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from leads.models import consent_version

HONEYPOT_FIELD = "website"


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter an e-mail address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label=_("First name (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Tick the box to agree, or we cannot send it to you.")},
    )
    consent_version = forms.CharField(widget=forms.HiddenInput, required=False)
    # Rendered by hand in the template, outside the visible fields (see _signup_form.html).
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args, consent_text: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.consent_text = consent_text
        self.fields["consent"].label = consent_text
        self.fields["consent_version"].initial = consent_version(consent_text)

    @property
    def visible_fields_without_trap(self) -> list:
        return [field for field in self.visible_fields() if field.name != HONEYPOT_FIELD]

    def is_trapped(self) -> bool:
        """The honeypot was filled: a program, not a person, sent the form."""
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def clean(self) -> dict:
        cleaned = super().clean()
        shown = cleaned.get("consent_version")
        if shown and shown != consent_version(self.consent_text):
            # The creator changed the text since the page was loaded: agree to the current one.
            self.add_error(
                "consent",
                ValidationError(
                    _("The text of this checkbox has changed. Please read it and tick it again."),
                    code="changed",
                ),
            )
        return cleaned
