from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from branding.models import Branding
from branding.services import brand_changed


@admin.register(Branding)
class BrandingAdmin(admin.ModelAdmin):
    """One row: the list leads straight to it (or to adding it)."""

    fieldsets = [
        (None, {"fields": ["site_name", "logo", "accent_colour", "support_email"]}),
        (_("Legal links"), {"fields": ["imprint_url", "privacy_url", "terms_url"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Branding.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        row = Branding.objects.first()
        if row is not None:
            return HttpResponseRedirect(reverse("admin:branding_branding_change", args=[row.pk]))
        return HttpResponseRedirect(reverse("admin:branding_branding_add"))

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        brand_changed()
