from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from members import views as member_views
from membership_site.health import healthz

admin.site.site_header = _("Membership admin")
admin.site.site_title = _("Membership admin")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("members/invoices/", include("invoices.urls")),
    path("members/", include("members.urls")),
    path("billing/", include("billing.urls")),
    path("login/", include("members.login_link_urls")),
    path("i18n/setlang/", member_views.set_language, name="set_language"),
    path("", include("products.urls")),
]
