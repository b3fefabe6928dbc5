from django.contrib import admin

from wenyuan.service.models import CannedAnswer, Ticket, TicketMessage


@admin.register(CannedAnswer)
class CannedAnswerAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "active", "position")
    list_editable = ("active", "position")
    list_filter = ("active", "category")
    search_fields = ("title", "text")


class MessageInline(admin.TabularInline):
    model = TicketMessage
    fields = ("author", "from_staff", "text", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Raw records; staff work tickets in /staff/ (answers go through the services)."""

    list_display = (
        "id",
        "subject",
        "category",
        "status",
        "owner",
        "assignee",
        "created_at",
        "rating",
    )
    list_filter = ("status", "category")
    search_fields = ("subject", "owner__username")
    readonly_fields = (
        "owner",
        "category",
        "subject",
        "status",
        "purchase",
        "topup",
        "document",
        "created_at",
        "first_answer_due",
        "resolution_due",
        "first_answer_at",
        "closed_at",
        "rating",
        "rated_at",
    )
    fields = readonly_fields + ("assignee",)
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
