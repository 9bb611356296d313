from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """GDPR: a member's data export (Art. 15/20) and erasure (Art. 17). No models of its own:
    it reads and anonymises the other apps' rows."""

    name = "privacy"
    verbose_name = _("privacy")
