"""Staff see every top-up order with its history; they can ask the provider about an
unpaid one.  Nothing here edits an order: changes go through the lifecycle."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce.models import TopupEvent, TopupOrder


class TopupEventInline(admin.TabularInline):
    model = TopupEvent
    fields = ["created_at", "old_status", "new_status", "actor_kind", "actor", "reason"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TopupOrder)
class TopupOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "provider", "amount", "points", "status", "created_at"]
    list_filter = ["status", "provider"]
    search_fields = ["number", "provider_trade_no", "user__username"]
    readonly_fields = [f.name for f in TopupOrder._meta.fields]
    inlines = [TopupEventInline]
    actions = ["query_provider", "mark_failed"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Ask the provider whether these orders were paid"))
    def query_provider(self, request, queryset):
        from wenyuan.commerce.payments.base import ProviderUnavailable
        from wenyuan.commerce.payments.services import topup_query

        for order in queryset.filter(status="created")[:50]:
            try:
                outcome = topup_query(order=order)
            except ProviderUnavailable as exc:
                outcome = f"unavailable ({exc.code})"
            self.message_user(request, f"{order.number}: {outcome}", messages.INFO)

    @admin.action(description=_("Mark these unpaid orders as failed"))
    def mark_failed(self, request, queryset):
        from wenyuan.commerce.payments.lifecycle import (
            STAFF,
            TopupTransitionError,
            topup_transition,
        )

        for order in queryset.filter(status="created")[:200]:
            try:
                topup_transition(
                    order=order, to="failed", by=STAFF, actor=request.user, reason="marked by staff"
                )
            except TopupTransitionError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
