from functools import partial

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members import desk_views
from members.desk import find_members
from members.models import AccessGrant, GrantEvent, User
from members.services import end_grant
from members.support import SupportError, give_access_anyway
from membership_site.admin_rows import PlainActionCheckbox
from outbox.admin import UndeliveredMessageInline
from privacy import admin_views as privacy_admin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "member_page", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
    search_help_text = _(
        "E-mail, name, order id (Stripe or Digistore24), payment, subscription or customer id."
    )
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["name", "time_zone", "language", "lesson_notifications"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    inlines = [UndeliveredMessageInline]

    @admin.display(description=_("Member page"))
    def member_page(self, obj: User) -> str:
        url = reverse("admin:members_user_member", kwargs={"object_id": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    def get_actions(self, request):
        """No bulk delete: members with orders are erased one by one (member page)."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        """Deleting a member would lose invoices and payments the law asks us to keep (and
        the database refuses it once there are orders): the member page erases instead."""
        self.message_user(
            request,
            _(
                "Members are not deleted: erase their personal data on the member page instead "
                "(invoices and payments are kept for the legal retention period)."
            ),
            messages.WARNING,
        )
        return redirect("admin:members_user_member", object_id=object_id)

    def get_search_results(self, request, queryset, search_term):
        """Also find members by their orders', payments', subscriptions' and customers' ids."""
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=find_members(search_term).values("pk")), False

    def get_urls(self):
        view = partial(desk_views.member_page_view, admin_site=self.admin_site)
        act = partial(desk_views.member_action_view, admin_site=self.admin_site)
        export = partial(privacy_admin.export_view, admin_site=self.admin_site)
        erase = partial(privacy_admin.erase_view, admin_site=self.admin_site)
        return [
            path(
                "<int:object_id>/privacy/export/",
                self.admin_site.admin_view(export),
                name="members_user_export",
            ),
            path(
                "<int:object_id>/privacy/erase/",
                self.admin_site.admin_view(erase),
                name="members_user_erase",
            ),
            path(
                "<int:object_id>/member/",
                self.admin_site.admin_view(view),
                name="members_user_member",
            ),
            path(
                "<int:object_id>/member/<slug:action>/",
                self.admin_site.admin_view(act),
                name="members_user_member_action",
            ),
            *super().get_urls(),
        ]


class GrantEventInline(admin.TabularInline):
    model = GrantEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "reason", "actor", "source_event"]
    readonly_fields = fields
    ordering = ["pk"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessGrant)
class AccessGrantAdmin(PlainActionCheckbox, admin.ModelAdmin):
    """Grants are changed only through services (with an audit row), never by editing fields."""

    list_display = ["member", "product", "state", "source", "starts_at", "paid_through"]
    list_filter = ["product", "state", "source", "starts_at", "is_test"]
    search_fields = ["member__email", "member__name"]
    list_select_related = ["member", "product"]
    # Tens of thousands of rows: a page a creator can scan, one COUNT per page, and the date as
    # a filter (no date hierarchy: its MIN/MAX and DISTINCT-days queries scan the whole table).
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = [
        "member", "product", "state", "source", "order", "starts_at", "withheld_until",
        "paid_through", "ended_at",
        "end_reason", "first_used_at", "activation_missed_at", "is_test", "created_at",
        "updated_at",
    ]  # fmt: skip
    inlines = [GrantEventInline]
    actions = ["restore_access", "revoke_access"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Give access anyway (support), keeping the paid-through date"))
    def restore_access(self, request, queryset):
        now = timezone.now()
        for pk in queryset.values_list("pk", flat=True):
            try:
                give_access_anyway(
                    grant_pk=pk, actor=request.user, reason=str(_("given by support")), now=now
                )
            except SupportError as error:
                self.message_user(request, str(error), messages.ERROR)
                return
        self.message_user(request, _("Access given."), messages.SUCCESS)

    @admin.action(description=_("Revoke access (support)"))
    def revoke_access(self, request, queryset):
        now = timezone.now()
        ended = sum(
            end_grant(
                grant_pk=pk, state=AccessGrant.State.REVOKED, now=now,
                reason=str(_("revoked by support")), actor=request.user,
            )
            for pk in queryset.values_list("pk", flat=True)
        )  # fmt: skip
        self.message_user(
            request, _("%(count)d grants revoked.") % {"count": ended}, messages.SUCCESS
        )
