from django.contrib import admin
from django.urls import include, path

from membership_site.health import healthz

admin.site.site_header = "Membership admin"
admin.site.site_title = "Membership admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("members/", include("members.urls")),
    path("billing/", include("billing.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("products.urls")),
]
