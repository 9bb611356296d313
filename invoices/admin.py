"""Admin: seller settings (one row), the read-only document list with totals, CSV export and
"send again", and the pending documents with the action that issues them."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoices import services
from invoices.datev import DatevExportError, datev_export
from invoices.models import (
    Document,
    DocumentFile,
    DocumentLine,
    DocumentMail,
    PendingDocument,
    SellerSettings,
    VatIdCheck,
)
from invoices.selectors import document_totals, documents_in_range, export_csv_lines
from invoices.vat_checks import describe_check, run_vat_id_check
from products.admin_files import admin_file_url, file_name
from products.money import format_money


def _warn_if_settings_missing(request: HttpRequest) -> None:
    if services.seller_settings() is None:
        pending = PendingDocument.objects.filter(document__isnull=True).count()
        messages.warning(
            request,
            _(
                "Seller settings are missing: no invoices can be issued. %(count)d payments and "
                "refunds are waiting as pending documents; fill in the seller settings, then use "
                "the action “Issue pending documents”."
            )
            % {"count": pending},
        )


@admin.register(SellerSettings)
class SellerSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "legal_name", "country", "vat_id", "default_vat_rate", "small_business", "currency",
    ]  # fmt: skip
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 3})},
        # Seven-digit consultant numbers need the wider input.
        models.PositiveIntegerField: {"widget": widgets.AdminBigIntegerFieldWidget},
    }
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "legal_name", "address", "country", "vat_id", "tax_number", "email",
                    "default_vat_rate", "small_business", "small_business_note", "footer", "logo",
                    "invoice_number_format", "credit_note_number_format", "currency",
                ]
            },
        ),
        (
            gettext_lazy("DATEV (export for the tax advisor)"),
            {
                "description": gettext_lazy(
                    "Ask your tax advisor for these numbers and accounts. The defaults are the "
                    "usual SKR03 accounts."
                ),
                "fields": [
                    ("datev_consultant_number", "datev_client_number"),
                    ("datev_fiscal_year_start_month", "datev_account_length"),
                    "datev_chart_of_accounts",
                    "datev_clearing_account", "datev_clearing_accounts",
                    "datev_revenue_accounts", "datev_oss_accounts",
                    "datev_reverse_charge_account", "datev_export_account",
                    "datev_small_business_account",
                ],
            },
        ),
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not SellerSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        _warn_if_settings_missing(request)
        return super().changelist_view(request, extra_context)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class LineInline(ReadOnlyInline):
    model = DocumentLine
    fields = [
        "position",
        "description",
        "quantity",
        "vat_rate",
        "net_money",
        "vat_money",
        "gross_money",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("document")

    @admin.display(description=gettext_lazy("net"))
    def net_money(self, line: DocumentLine) -> str:
        return format_money(line.net, line.document.currency)

    @admin.display(description=gettext_lazy("VAT"))
    def vat_money(self, line: DocumentLine) -> str:
        return format_money(line.vat, line.document.currency)

    @admin.display(description=gettext_lazy("gross"))
    def gross_money(self, line: DocumentLine) -> str:
        return format_money(line.gross, line.document.currency)


class MailInline(ReadOnlyInline):
    model = DocumentMail
    fields = ["sent_at", "reason", "recipient", "actor"]


def _date_input() -> forms.DateInput:
    # A date input takes ISO dates in every language (a German "01.04.2026" would show empty).
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class ExportForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=_date_input())
    end = forms.DateField(label=gettext_lazy("To"), widget=_date_input())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return cleaned


def _last_month(today) -> dict:
    end = today.replace(day=1) - timedelta(days=1)
    return {"start": end.replace(day=1), "end": end}


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Issued documents are legal records: view them, export them, send them again; never edit."""

    list_display = [
        "number", "kind", "issue_date", "buyer_name", "vat_display",
        "gross_display", "corrects",
    ]  # fmt: skip
    list_filter = [
        "kind",
        "tax_treatment",
        "series__year",
        "series__is_test",
        ("issue_date", admin.DateFieldListFilter),
        "currency",
    ]
    list_select_related = ["corrects"]

    @admin.display(description=gettext_lazy("VAT"), ordering="tax_treatment")
    def vat_display(self, obj: Document) -> str:
        """The rate, the treatment's short name where it is not the seller's own (OSS, RC for
        reverse charge, § 19) and the buyer's country, in one column so the list fits a
        laptop; the filter names the treatments in full."""
        short = {"oss": "OSS", "reverse_charge": "RC", "export": "Export", "small_business": "§ 19"}
        rate = formats.number_format(obj.vat_rate.normalize(), use_l10n=True)
        label = short.get(obj.tax_treatment, "")
        return " ".join(part for part in (f"{rate} %", label, obj.buyer_country) if part)

    date_hierarchy = "issue_date"
    search_fields = ["number", "buyer_name", "buyer_email", "payment_reference"]
    inlines = [LineInline, MailInline]
    actions = ["send_again"]
    change_list_template = "admin/invoices/document/change_list.html"
    exclude = ["net_total", "vat_total", "gross_total"]  # shown as money (get_readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # Amounts in minor units show as money in their place ("net_total" -> "net_money").
        money = {"net_total": "net_money", "vat_total": "vat_money", "gross_total": "gross_display"}
        names = (money.get(field.name, field.name) for field in self.model._meta.fields)
        return [*names, "vat_id_check_result", "pdf_file"]

    @admin.display(description=gettext_lazy("VAT id check"))
    def vat_id_check_result(self, obj: Document) -> str:
        return describe_check(VatIdCheck.objects.filter(payment_id=obj.payment_id).first())

    @admin.display(description=gettext_lazy("net"))
    def net_money(self, obj: Document) -> str:
        return format_money(obj.net_total, obj.currency)

    @admin.display(description=gettext_lazy("VAT"))
    def vat_money(self, obj: Document) -> str:
        return format_money(obj.vat_total, obj.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("PDF"))
    def pdf_file(self, obj: Document) -> str:
        """The stored PDF through a signed staff-only link (private files have no public URL)."""
        stored = DocumentFile.objects.filter(document=obj).first()
        if stored is None or not stored.pdf:
            return _("not rendered yet")
        return format_html('<a href="{}">{}</a>', admin_file_url(stored.pdf), file_name(stored.pdf))

    @admin.display(description=gettext_lazy("gross"), ordering="gross_total")
    def gross_display(self, obj: Document) -> str:
        return format_money(obj.gross_total, obj.currency)

    @admin.action(description=gettext_lazy("Send again (e-mail with PDF)"), permissions=["view"])
    def send_again(self, request: HttpRequest, queryset) -> None:
        count = services.send_documents_again(
            documents=queryset, actor=request.user, now=timezone.now()
        )
        self.message_user(request, _("%(count)d documents will be sent again.") % {"count": count})

    def changelist_view(self, request: HttpRequest, extra_context=None):
        _warn_if_settings_missing(request)
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["totals"] = [
                {
                    "currency": row["currency"],
                    "count": row["count"],
                    "net": format_money(row["net"] or 0, row["currency"]),
                    "vat": format_money(row["vat"] or 0, row["currency"]),
                    "gross": format_money(row["gross"] or 0, row["currency"]),
                }
                for row in document_totals(documents=context["cl"].queryset)
            ]
            context["export_url"] = reverse("admin:invoices_document_export")
            if self.has_datev_permission(request):
                context["datev_url"] = reverse("admin:invoices_document_datev")
        return response

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        datev = self.admin_site.admin_view(self.datev_view)
        return [
            path("export/", export, name="invoices_document_export"),
            path("datev/", datev, name="invoices_document_datev"),
            *super().get_urls(),
        ]

    def has_datev_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("invoices.export_datev")

    def datev_view(self, request: HttpRequest) -> HttpResponse:
        """The DATEV batch (EXTF Buchungsstapel) of a date range, for the tax advisor."""
        if not self.has_datev_permission(request):
            raise PermissionDenied
        form = ExportForm(request.GET or None, initial=_last_month(timezone.localdate()))
        if form.is_valid():
            try:
                batch = datev_export(
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    now=timezone.now(),
                    exported_by=request.user.get_username(),
                )
            except DatevExportError as error:
                form.add_error(None, str(error))
            else:
                response = HttpResponse(
                    batch.content, content_type="text/csv; charset=windows-1252"
                )
                response["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
                return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Export to DATEV"),
            "settings_url": reverse("admin:invoices_sellersettings_changelist"),
        }
        return TemplateResponse(request, "admin/invoices/document/datev.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """CSV for the tax advisor: every document issued in a date range."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ExportForm(request.GET or None)
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            documents = documents_in_range(start=start, end=end).iterator(chunk_size=500)
            response = StreamingHttpResponse(
                export_csv_lines(documents=documents), content_type="text/csv; charset=utf-8"
            )
            filename = f"invoices-{start.isoformat()}-{end.isoformat()}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Export invoices and credit notes"),
        }
        return TemplateResponse(request, "admin/invoices/document/export.html", context)


@admin.register(PendingDocument)
class PendingDocumentAdmin(admin.ModelAdmin):
    list_display = [
        "pk", "kind", "payment", "amount_money", "requested_at", "document", "issued_at",
    ]  # fmt: skip
    list_filter = ["kind", ("document", admin.EmptyFieldListFilter)]
    list_select_related = ["payment", "document"]
    exclude = ["amount"]  # shown as money
    actions = ["issue_pending"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        names = (field.name for field in self.model._meta.fields)
        return ["amount_money" if name == "amount" else name for name in names]

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_money(self, obj: PendingDocument) -> str:
        return format_money(obj.amount, obj.payment.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        _warn_if_settings_missing(request)
        return super().changelist_view(request, extra_context)

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("invoices.add_document")

    @admin.action(
        description=gettext_lazy("Issue pending documents (all, in order)"), permissions=["issue"]
    )
    def issue_pending(self, request: HttpRequest, queryset) -> None:
        try:
            issued = services.issue_pending_documents(now=timezone.now())
        except services.SellerSettingsMissingError as error:
            self.message_user(request, str(error), level=messages.ERROR)
            return
        numbers = ", ".join(document.number for document in issued) or "—"
        self.message_user(
            request,
            _("%(count)d documents issued: %(numbers)s")
            % {"count": len(issued), "numbers": numbers},
            level=messages.SUCCESS,
        )


@admin.register(VatIdCheck)
class VatIdCheckAdmin(admin.ModelAdmin):
    """Business buyers' VAT ids: the VIES result and, for a refused id, why."""

    list_display = [
        "created_at", "vat_id", "status", "reason", "attempts", "next_attempt_at", "checked_at",
        "payment",
    ]  # fmt: skip
    list_filter = ["status", "country"]
    search_fields = ["vat_id", "payment__provider_ref", "registered_name"]
    list_select_related = ["payment"]
    actions = ["ask_vies_now"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("invoices.add_document")

    @admin.action(
        description=gettext_lazy("Ask VIES again now (waiting checks)"), permissions=["issue"]
    )
    def ask_vies_now(self, request: HttpRequest, queryset) -> None:
        now = timezone.now()
        pks = list(
            queryset.filter(status=VatIdCheck.Status.PENDING).values_list("pk", flat=True)[:20]
        )
        results = [run_vat_id_check(check_pk=pk, now=now) for pk in pks]
        self.message_user(request, "; ".join(describe_check(check) for check in results) or "—")
