"""The funnel report in the admin: a date-range form and the steps as a table.

Reading it needs the ``funnel.view_funnel_report`` permission (superusers have it); staff
without it get 403, and a logged-in member who is not staff gets 404, as if it did not exist.
"""

from __future__ import annotations

from functools import partial, wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from funnel.forms import FunnelRangeForm
from funnel.models import PageVisitDay
from funnel.presentation import STEP_LABELS, default_range
from funnel.report import build_funnel

REPORT_PERMISSION = "funnel.view_funnel_report"


def _hidden_from_members(view):
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.is_active and user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def funnel_report_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    start, end = default_range()
    form = FunnelRangeForm(
        request.GET if "start" in request.GET else None,
        initial={"start": start, "end": end},
    )
    report = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        report = build_funnel(
            start=data["start"],
            end=data["end"],
            product=data["product"],
            include_test=data["include_test"],
        )
    elif not form.is_bound:
        report = build_funnel(start=start, end=end)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Funnel report"),
        "form": form,
        "report": report,
        "step_labels": STEP_LABELS,
    }
    return TemplateResponse(request, "admin/funnel/report.html", context)


@admin.register(PageVisitDay)
class PageVisitDayAdmin(admin.ModelAdmin):
    """The raw daily counts (read-only); the report is linked from the list."""

    list_display = ["day", "product", "count"]
    list_filter = ["product"]
    list_select_related = ["product"]
    ordering = ["-day", "product__name"]
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/funnel/pagevisitday/change_list.html"

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may read the report finds it on the admin's index (through this list).
        return super().has_view_permission(request, obj) or request.user.has_perm(REPORT_PERMISSION)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        view = partial(funnel_report_view, model_admin=self)
        return [
            path(
                "report/",
                _hidden_from_members(self.admin_site.admin_view(view)),
                name="funnel_report",
            ),
            *super().get_urls(),
        ]
