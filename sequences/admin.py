"""Sequences in the admin: the creator writes the steps inline; enrolments and e-mails are
read-only records; the marketing preference can be looked up (and is changed by the member)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sequences.coupons import coupon_problem
from sequences.models import Enrolment, MarketingPreference, Sequence, SequenceEmail, Step


class StepForm(forms.ModelForm):
    def clean_coupon_code(self) -> str:
        """A new or changed code must name a coupon a buyer can use now (sequences.coupons); an
        unchanged one is checked again when each e-mail is built."""
        code = self.cleaned_data["coupon_code"].strip().upper()
        if code and "coupon_code" in self.changed_data:
            problem = coupon_problem(code, now=timezone.now())
            if problem:
                raise forms.ValidationError(problem)
        return code


class StepInline(admin.StackedInline):
    model = Step
    form = StepForm
    extra = 0
    min_num = 1
    fieldsets = [
        (None, {"fields": [("order", "delay_days"), "coupon_code"]}),
        (_("English"), {"fields": ["subject_en", "body_en"]}),
        (_("German"), {"fields": ["subject_de", "body_de"], "classes": ["collapse"]}),
        (_("Dutch"), {"fields": ["subject_nl", "body_nl"], "classes": ["collapse"]}),
    ]


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = [
        "name", "trigger", "product", "target_product", "is_active", "enrolled", "running",
    ]  # fmt: skip
    list_filter = ["trigger", "is_active"]
    search_fields = ["name", "product__name"]
    list_select_related = ["product", "target_product"]
    autocomplete_fields = ["product", "target_product"]
    fields = ["name", "trigger", "product", "target_product", "is_active", "enrol_from"]
    inlines = [StepInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Sequence]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                enrolled_count=Count("enrolments"),
                running_count=Count("enrolments", filter=Q(enrolments__next_due_at__isnull=False)),
            )
        )

    @admin.display(description=_("enrolled"), ordering="enrolled_count")
    def enrolled(self, sequence: Sequence) -> int:
        return sequence.enrolled_count

    @admin.display(description=_("running"), ordering="running_count")
    def running(self, sequence: Sequence) -> int:
        return sequence.running_count


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = [
        "member", "sequence", "enrolled_at", "last_step_order", "next_due_at", "finished_at",
        "stopped_at", "stop_reason", "is_test",
    ]  # fmt: skip
    list_filter = ["sequence", "stop_reason", "is_test"]
    search_fields = ["member__email"]
    list_select_related = ["member", "sequence"]
    date_hierarchy = "enrolled_at"


@admin.register(SequenceEmail)
class SequenceEmailAdmin(ReadOnlyAdmin):
    list_display = ["queued_at", "member", "step", "status", "sent_at"]
    list_filter = ["status", "step__sequence"]
    search_fields = ["enrolment__member__email"]
    list_select_related = ["enrolment__member", "step__sequence"]
    date_hierarchy = "queued_at"

    @admin.display(description=_("member"), ordering="enrolment__member__email")
    def member(self, email: SequenceEmail) -> str:
        return email.enrolment.member.email


@admin.register(MarketingPreference)
class MarketingPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["member", "unsubscribed_at", "updated_at"]
    list_filter = [("unsubscribed_at", admin.EmptyFieldListFilter)]
    search_fields = ["member__email"]
    list_select_related = ["member"]
