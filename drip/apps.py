from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DripConfig(AppConfig):
    name = "drip"
    verbose_name = _("Drip schedule")
