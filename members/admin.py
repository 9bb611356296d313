from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import AccessGrant, GrantEvent, User
from members.services import end_grant
from members.support import SupportError, give_access_anyway
from outbox.admin import UndeliveredMessageInline


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "name"]
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
class AccessGrantAdmin(admin.ModelAdmin):
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
        "member", "product", "state", "source", "order", "starts_at", "paid_through", "ended_at",
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
