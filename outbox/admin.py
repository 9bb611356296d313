"""The outbox in the admin: every outgoing message (read-only), and a member's undelivered ones."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outbox.models import OutboxMessage
from outbox.services import retry_failed_messages

UNDELIVERED = [OutboxMessage.State.PENDING, OutboxMessage.State.FAILED]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Rows are written by services and changed only by sending; support may retry failed ones."""

    list_display = [
        "created_at", "kind", "member", "state", "attempts", "due_at", "sent_at", "short_error",
    ]  # fmt: skip
    list_filter = ["state", "kind"]
    search_fields = ["member__email"]
    list_select_related = ["member"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = [
        "kind", "member", "state", "attempts", "created_at", "due_at", "last_attempt_at",
        "sent_at", "last_error", "payload_block",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("last error"))
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error.splitlines()[0][:160] if message.last_error else ""

    @admin.display(description=_("payload"))
    def payload_block(self, message: OutboxMessage) -> str:
        return format_html("<pre>{}</pre>", json.dumps(message.payload, sort_keys=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The list's action needs "change"; no row is ever edited in a form.
        return request.user.has_perm("outbox.change_outboxmessage") and obj is None

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Try the selected failed messages again"), permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        pks = retry_failed_messages(
            message_pks=queryset.values_list("pk", flat=True), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again.",
                "%(count)d messages will be sent again.",
                len(pks),
            )
            % {"count": len(pks)},
            messages.SUCCESS,
        )


class UndeliveredMessageInline(admin.TabularInline):
    """On the member's page: e-mails that have not reached them (yet), with the reason."""

    model = OutboxMessage
    fk_name = "member"
    verbose_name = _("undelivered e-mail")
    verbose_name_plural = _("undelivered e-mails")
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "state", "attempts", "due_at", "last_error"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        return super().get_queryset(request).filter(state__in=UNDELIVERED)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
