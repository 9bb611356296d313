"""The admin page of reconcile: the last run's findings per provider, each with a one-click fix
(a POST with CSRF, for staff who may change findings) that does what ``reconcile --fix`` does."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import ReconcileFinding
from billing.reconcile.services import ReconcileError, fix_finding, latest_runs


@admin.register(ReconcileFinding)
class ReconcileFindingAdmin(admin.ModelAdmin):
    """The changelist is the page of the last runs; findings are never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields]  # evidence is kept as found

    def get_urls(self):
        fix = self.admin_site.admin_view(self.fix_view)
        return [
            path("<int:finding_pk>/fix/", fix, name="billing_reconcilefinding_fix"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        runs = latest_runs()
        rows = [
            (run, list(run.findings.select_related("member").prefetch_related("fixes")))
            for run in runs
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reconcile: the last run's findings"),
            "rows": rows,
            "can_fix": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/billing/reconcilefinding/latest.html", context)

    def fix_view(self, request: HttpRequest, finding_pk: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        finding = get_object_or_404(ReconcileFinding, pk=finding_pk)
        try:
            done = fix_finding(finding_pk=finding.pk, actor=request.user, now=timezone.now())
        except ReconcileError as error:
            messages.error(request, str(error))
        else:
            if done.succeeded:
                messages.success(request, _("Fixed: %(result)s") % {"result": done.result})
            else:
                text = _("The fix did not apply: %(result)s") % {"result": done.result}
                messages.error(request, text)
        return HttpResponseRedirect(reverse("admin:billing_reconcilefinding_changelist"))
