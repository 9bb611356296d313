from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from branding.views import logo as brand_logo
from members import views as member_views
from members.adapters import MemberEmailView
from members.admin_login import throttled
from membership_site.health import healthz
from products import admin_files

admin.site.login = throttled(admin.site.login)
admin.site.site_header = _("Membership admin")
admin.site.site_title = _("Membership admin")
# The app list is one click away (Home); without the side bar a list's who, what, state, amount
# and when fit at 1280 px next to its filters, with no sideways scrolling.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    # The member's pages first: Django tries the patterns in order on every request, and each
    # one passed over cost a few thousand instructions (issue 20). No pattern below matches a
    # path under members/, so the order changes no answer.
    path("members/invoices/", include("invoices.urls")),
    path("members/magazine/", include("magazine.urls")),
    path("members/privacy/", include("privacy.urls")),
    path("members/", include("members.urls")),
    path("healthz", healthz, name="healthz"),
    path(
        "admin/private-file/<str:token>/",
        admin.site.admin_view(admin_files.private_file),
        name="admin_private_file",
    ),
    path("brand/logo/<int:version>/", brand_logo, name="branding_logo"),
    path("admin/", admin.site.urls),
    # Before allauth's own: its e-mail page, with unverified addresses kept from becoming primary.
    path("accounts/email/", MemberEmailView.as_view(), name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("billing/", include("billing.urls")),
    path("offers/", include("offers.urls")),
    path("login/", include("members.login_link_urls")),
    path("free/", include("leads.urls")),
    path("email/", include("sequences.urls")),
    path("i18n/setlang/", member_views.set_language, name="set_language"),
    path("", include("products.urls")),
]
