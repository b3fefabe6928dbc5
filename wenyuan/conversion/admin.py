"""The processing log in the admin: its own list, and inline on each document (the
conversion app adds the inline to the library's document admin: library imports
nothing of conversion's models)."""

from django.contrib import admin

from wenyuan.conversion.models import ProcessingRun
from wenyuan.library.admin import DocumentAdmin


@admin.register(ProcessingRun)
class ProcessingRunAdmin(admin.ModelAdmin):
    list_display = ["document", "worker", "started_at", "finished_at", "outcome", "detail"]
    list_filter = ["outcome"]
    search_fields = ["document__title", "worker", "detail"]
    list_select_related = ["document"]


class ProcessingRunInline(admin.TabularInline):
    """Every attempt at processing the document, newest first: read-only."""

    model = ProcessingRun
    fields = ["started_at", "finished_at", "worker", "outcome", "detail"]
    readonly_fields = fields
    ordering = ["-started_at"]
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


if ProcessingRunInline not in DocumentAdmin.inlines:
    DocumentAdmin.inlines = [*DocumentAdmin.inlines, ProcessingRunInline]
