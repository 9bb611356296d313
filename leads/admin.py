"""The creator's view of lead magnets: the consent text per product, every sign-up (pending or
confirmed) and every consent, read-only (consents are append-only audit rows)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from leads.models import Consent, LeadMagnet, SignUp


@admin.register(LeadMagnet)
class LeadMagnetAdmin(admin.ModelAdmin):
    list_display = ["product", "consent_text"]
    search_fields = ["product__name", "product__slug"]
    autocomplete_fields = ["product"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ConfirmedFilter(admin.SimpleListFilter):
    title = _("confirmed")
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", _("confirmed")), ("no", _("waiting for confirmation"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(confirmed_at__isnull=self.value() == "no")
        return queryset


@admin.register(SignUp)
class SignUpAdmin(ReadOnlyAdmin):
    list_display = ["email", "name", "product", "created_at", "confirmed_at", "language"]
    list_filter = [ConfirmedFilter, "product", "created_at"]
    search_fields = ["email", "name"]
    list_select_related = ["product"]
    list_per_page = 50
    show_full_result_count = False


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["email", "product", "confirmed_at", "given_ip", "version_short"]
    list_filter = ["product", "confirmed_at"]
    search_fields = ["email", "member__email", "text"]
    list_select_related = ["product"]
    list_per_page = 50
    show_full_result_count = False
    fields = [
        "member", "email", "product", "signup", "text", "version", "language", "given_at",
        "given_ip", "user_agent", "confirmed_at", "confirmed_ip",
    ]  # fmt: skip

    @admin.display(description=_("version"))
    def version_short(self, obj: Consent) -> str:
        return obj.version[:12]
