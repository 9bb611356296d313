"""Billing in the admin: provider events (filter, inspect, reprocess) and read-mostly records."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing import admin_connect
from billing.models import (
    CancellationFeedback,
    CheckoutLink,
    Customer,
    Order,
    Payment,
    PlanGroup,
    ProviderEvent,
    Subscription,
)
from billing.services import reprocess_events
from products.money import format_money


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records come from providers; the admin looks, support actions live in services.

    ``money_fields`` maps an amount field (minor units) to the method that shows it formatted
    with its currency; the detail page shows the method in the field's place.
    """

    money_fields: dict[str, str] = {}

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = [self.money_fields.get(name, name) for name in super().get_fields(request, obj)]
        return list(dict.fromkeys(fields))

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), *self.money_fields.values()]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "event_type", "status", "is_test", "short_error"]
    list_filter = ["status", "event_type", "provider", "is_test"]
    search_fields = ["event_id", "event_type", "error"]
    date_hierarchy = "received_at"
    actions = ["reprocess"]
    readonly_fields = [
        "provider",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "is_test",
        "received_at",
        "processed_at",
        "queued_at",
        "next_attempt_at",
        "error_block",
        "payload_block",
    ]
    exclude = ["payload", "error"]

    @admin.display(description=_("error"))
    def short_error(self, event: ProviderEvent) -> str:
        lines = [line for line in event.error.strip().splitlines() if line.strip()]
        return lines[-1][:80] if lines else ""

    @admin.display(description=_("error"))
    def error_block(self, event: ProviderEvent) -> str:
        return format_html("<pre>{}</pre>", event.error)

    @admin.display(description=_("payload"))
    def payload_block(self, event: ProviderEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("billing.change_providerevent") and obj is None

    @admin.action(
        description=_("Reprocess the selected events (failed or not yet processed)"),
        permissions=["change"],
    )
    def reprocess(self, request: HttpRequest, queryset: QuerySet[ProviderEvent]) -> None:
        results = reprocess_events(now=timezone.now(), pks=queryset.values_list("pk", flat=True))
        done = [event for event, status in results if status != ProviderEvent.Status.FAILED]
        failed = [event for event, status in results if status == ProviderEvent.Status.FAILED]
        skipped = queryset.count() - len(results)
        if done:
            self.message_user(
                request,
                ngettext("%d event processed.", "%d events processed.", len(done)) % len(done),
                messages.SUCCESS,
            )
        for event in failed:
            event.refresh_from_db()
            self.message_user(request, f"{event}: {self.short_error(event)}", messages.ERROR)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%d event was already processed and was left alone.",
                    "%d events were already processed and were left alone.",
                    skipped,
                )
                % skipped,
                messages.WARNING,
            )


class MoneyColumns:
    """Amounts in minor units shown as money with their currency (lists, details, inlines)."""

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, record: Order | Payment) -> str:
        return format_money(record.amount, record.currency)

    @admin.display(description=_("refunded"), ordering="amount_refunded")
    def refunded_display(self, payment: Payment) -> str:
        if not payment.amount_refunded:
            return ""
        return format_money(payment.amount_refunded, payment.currency)


class PaymentInline(MoneyColumns, admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = [
        "provider_ref", "amount_display", "refunded_display", "status", "paid_at",
        "vat_id_check_result",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("VAT id check"))
    def vat_id_check_result(self, payment: Payment) -> str:
        """A business buyer's VAT id: valid (reverse charge), refused and why, or waiting."""
        from invoices.models import VatIdCheck
        from invoices.vat_checks import describe_check

        return describe_check(VatIdCheck.objects.filter(payment=payment).first())


@admin.register(Order)
class OrderAdmin(MoneyColumns, ReadOnlyAdmin):
    list_display = [
        "created_at", "member", "product", "provider", "status", "amount_display", "is_test",
    ]  # fmt: skip
    list_filter = ["provider", "status", "is_test", "created_at"]
    search_fields = ["provider_ref", "member__email", "member__name", "product__name"]
    list_select_related = ["member", "product"]
    date_hierarchy = "created_at"
    inlines = [PaymentInline]
    money_fields = {"amount": "amount_display"}


@admin.register(Payment)
class PaymentAdmin(MoneyColumns, ReadOnlyAdmin):
    list_display = [
        "paid_at", "buyer", "bought", "provider", "status", "amount_display", "refunded_display",
    ]  # fmt: skip
    list_filter = ["status", "provider", "paid_at"]
    search_fields = ["provider_ref", "payment_intent_ref", "charge_ref", "order__member__email"]
    list_select_related = ["member", "product"]
    date_hierarchy = "paid_at"
    money_fields = {"amount": "amount_display", "amount_refunded": "refunded_display"}

    @admin.display(description=_("member"), ordering="member__email")
    def buyer(self, payment: Payment) -> str:
        return str(payment.member)

    @admin.display(description=_("product"))
    def bought(self, payment: Payment) -> str:
        return str(payment.product)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "member", "plan", "status", "current_period_end", "cancel_at_period_end", "ended_at",
        "provider",
    ]  # fmt: skip
    list_filter = ["status", "provider", "cancel_at_period_end"]
    search_fields = ["provider_ref", "member__email", "member__name"]
    list_select_related = ["member", "order__product"]

    @admin.display(description=_("plan"), ordering="order__product__name")
    def plan(self, subscription: Subscription) -> str:
        return subscription.order.product.name


@admin.register(CancellationFeedback)
class CancellationFeedbackAdmin(ReadOnlyAdmin):
    """Why members cancelled (asked, optional, before the cancellation went to the provider)."""

    list_display = ["created_at", "member", "plan", "reason", "short_detail", "access_until"]
    list_filter = ["reason", "subscription__provider"]
    search_fields = ["member__email", "detail"]
    date_hierarchy = "created_at"
    list_select_related = ["member", "subscription__order__product"]

    @admin.display(description=_("plan"))
    def plan(self, feedback: CancellationFeedback) -> str:
        return feedback.subscription.order.product.name

    @admin.display(description=_("in their words"))
    def short_detail(self, feedback: CancellationFeedback) -> str:
        return feedback.detail[:120]


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["provider_customer_id", "provider", "member", "created_at"]
    list_filter = ["provider"]
    search_fields = ["provider_customer_id", "member__email"]
    list_select_related = ["member"]


@admin.register(CheckoutLink)
class CheckoutLinkAdmin(ReadOnlyAdmin):
    list_display = ["checkout_ref", "order_ref", "provider", "created_at"]
    search_fields = ["checkout_ref", "order_ref"]


@admin.register(PlanGroup)
class PlanGroupAdmin(admin.ModelAdmin):
    """Products that replace one another as plans: members change between their prices."""

    list_display = ("name",)
    filter_horizontal = ("products",)


admin_connect.register(admin.site)

# Reconcile findings: the last run's page with a one-click fix per finding.
from billing import reconcile_admin  # noqa: E402, F401
