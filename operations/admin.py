"""Django admin pages for the operator's inspection of inbound events, messages and delivery
states: read only, and without personal data — no bodies, addresses or payloads, in lists or
on detail pages (the agents' workspace shows those, behind its access rules)."""

from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignRecipient
from inbox.models import InboundEvent, Message


class CappedPaginator(Paginator):
    """The admin's pages without a count(*) over ten million rows: the count stops at
    COUNT_CAP, so the list pages through the newest rows (the search narrows the rest)."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        rows: QuerySet = self.object_list  # type: ignore[assignment]
        return rows.order_by().values("pk")[: self.COUNT_CAP].count()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: no adding, changing or deleting, and no bulk actions."""

    actions = None
    paginator = CappedPaginator
    show_full_result_count = False
    ordering = ["-id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoutingFilter(admin.SimpleListFilter):
    title = _("routing")
    parameter_name = "routing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("routed", _("Routed")),
            ("unrouted", _("Unrouted")),
            ("pending", _("Waiting")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "routed":
            return queryset.filter(message__isnull=False)
        if self.value() == "unrouted":
            return queryset.filter(processed_at__isnull=False, message__isnull=True)
        if self.value() == "pending":
            return queryset.filter(processed_at__isnull=True)
        return queryset


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    # The error names the addresses it was sent to: on the detail page only.
    list_display = ["id", "provider", "received_at", "processed_at", "message_id"]
    # Only filters with fixed choices: a filter on a free-text column asks for its DISTINCT
    # values, a scan of the whole table.
    list_filter = [RoutingFilter]
    readonly_fields = (
        "id",
        "provider",
        "event_id",
        "received_at",
        "processed_at",
        "message_id",
        "error",
    )
    fields = readonly_fields


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "conversation_id",
        "direction",
        "status",
        "provider",
        "attempts",
        "created_at",
        "attempted_at",
        "error_code",
    ]
    list_filter = ["status", "direction"]
    readonly_fields = (
        "id",
        "conversation_id",
        "direction",
        "status",
        "provider",
        "provider_message_id",
        "attempts",
        "due_at",
        "attempted_at",
        "created_at",
        "error_code",
        "error",
    )
    fields = readonly_fields


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(ReadOnlyAdmin):
    list_display = ["id", "campaign_id", "status", "attempts", "sent_at", "error_code"]
    list_filter = ["status"]
    readonly_fields = (
        "id",
        "campaign_id",
        "status",
        "skip_reason",
        "provider_message_id",
        "attempts",
        "not_before",
        "claimed_at",
        "sent_at",
        "delivered_at",
        "error_code",
        "error",
    )
    fields = readonly_fields
