"""The creator's dashboard in the admin: on top of the admin's home page (``/admin/``) for staff
with ``dashboard.view_dashboard`` (superusers have it), and every table as CSV at
``/admin/dashboard/<table>.csv``. Staff without the permission see the stock admin home page;
anyone else gets 404 from the exports.

The views parse the filters and call ``report_source`` (``build_report``) once; everything else
is ``dashboard.page`` / ``dashboard.exports`` working on the ``Report``. ``report_source`` is the
seam a test swaps for a hand-built report.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.validators import RegexValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from dashboard.exports import filename, table_csv
from dashboard.page import build_page
from dashboard.report import Report, build_report
from dashboard.tables import EXPORTS, table_for

PERMISSION = "dashboard.view_dashboard"
MONTHS = 12

report_source = build_report  # the seam: tests put a function returning a hand-built Report


class FiltersForm(forms.Form):
    test = forms.BooleanField(required=False, label=gettext_lazy("Include test-mode orders"))
    currency = forms.CharField(
        required=False,
        max_length=3,
        label=gettext_lazy("Currency"),
        validators=[
            RegexValidator(
                r"^[A-Za-z]{3}$", gettext_lazy("Enter a three-letter currency code such as EUR.")
            )
        ],
    )

    def report_kwargs(self) -> dict:
        """The filters for ``build_report``; an invalid filter is left out (and shown)."""
        self.is_valid()  # cleaned_data keeps only the valid fields
        data = self.cleaned_data
        currency = (data.get("currency") or "").upper() or None
        return {"include_test": bool(data.get("test")), "currency": currency}


def can_view_dashboard(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(PERMISSION))


def _report(request: HttpRequest) -> tuple[Report, FiltersForm]:
    form = FiltersForm(request.GET)
    report = report_source(now=timezone.now(), months=MONTHS, **form.report_kwargs())
    return report, form


def dashboard_context(request: HttpRequest) -> dict:
    report, form = _report(request)
    query = {key: request.GET[key] for key in ("test", "currency") if request.GET.get(key)}
    return {
        "dashboard": build_page(report),
        "dashboard_filters": form,
        "dashboard_currencies": sorted({*report.currencies, *_selected(form)}),
        "dashboard_query": urlencode(query),
        "dashboard_exports": EXPORTS,
        "title": _("Dashboard"),
        "site_time_zone": settings.TIME_ZONE,
    }


def _selected(form: FiltersForm) -> set[str]:
    currency = form.report_kwargs()["currency"]
    return {currency} if currency else set()


def index_with_dashboard(original_index):
    """The admin's home page, with the dashboard on top for those allowed to see it."""

    def index(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if can_view_dashboard(request.user):
            extra_context = {**(extra_context or {}), **dashboard_context(request)}
        return original_index(request, extra_context)

    return index


@never_cache
def export_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in EXPORTS or not can_view_dashboard(request.user):
        raise Http404
    report, _form = _report(request)
    export = table_for(report, table)
    day = timezone.localtime(report.generated_at).date()
    response = HttpResponse(table_csv(export), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(export, day)}"'
    return response


def install(site: admin.AdminSite) -> None:
    """The dashboard on ``site``'s home page and its exports among ``site``'s URLs."""
    site.index = index_with_dashboard(site.index)
    original = site.get_urls

    def get_urls():
        return [
            path("dashboard/<slug:table>.csv", export_csv, name="dashboard_export"),
            *original(),
        ]

    site.get_urls = get_urls
