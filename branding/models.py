"""The creator's brand: one row, shown on every page and in every e-mail."""

from __future__ import annotations

from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_SITE_NAME = "Membership"
DEFAULT_ACCENT = "#2f5bea"

validate_hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # and six hex digits, e.g. #2f5bea.")
)


class WebURLField(models.URLField):
    """An http(s) address only: no ``javascript:``, ``data:`` or ``ftp:`` link reaches a page."""

    default_validators = [URLValidator(schemes=["http", "https"])]

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(
            **{"form_class": forms.URLField, "assume_scheme": "https", **kwargs}
        )


class Branding(models.Model):
    """Site name, logo, accent colour, support address and legal links (one row, slot 1)."""

    slot = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    site_name = models.CharField(_("site name"), max_length=80, default=DEFAULT_SITE_NAME)
    logo = models.ImageField(
        _("logo"),
        upload_to="branding/",
        blank=True,
        help_text=_(
            "Shown in the header and used as the browser tab icon. A square image works best."
        ),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        default=DEFAULT_ACCENT,
        validators=[validate_hex_colour],
        help_text=_("Buttons and links, as # and six hex digits, e.g. #2f5bea."),
    )
    support_email = models.EmailField(_("support e-mail"), blank=True)
    imprint_url = WebURLField(_("imprint link"), blank=True)
    privacy_url = WebURLField(_("privacy policy link"), blank=True)
    terms_url = WebURLField(_("terms link"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")
        constraints = [
            models.CheckConstraint(condition=models.Q(slot=1), name="branding_single_row"),
        ]

    def __str__(self) -> str:
        return self.site_name
