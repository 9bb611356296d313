from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from membership_site import (
            csrf_masks,
            fast_locals,
            i18n_tags,
            lazy_reads,
            static_check,  # noqa: F401 - registers the system check
        )
        from membership_site.pg_loaders import use_c_timestamp_loader
        from membership_site.pg_prepared import retry_stale_plans

        connection_created.connect(use_c_timestamp_loader, dispatch_uid="c-timestamp-loader")
        connection_created.connect(retry_stale_plans, dispatch_uid="retry-stale-plans")
        csrf_masks.install()  # the CSRF token's mask from one random read, not 32
        fast_locals.install()  # language, zone, URL and connection reads without exceptions
        lazy_reads.install()  # settings and Django's regular expressions without LazyObject
        i18n_tags.install()  # {% translate "literal" %} as gettext of the literal
