from django.contrib import admin

from wenyuan.conversion.models import ProcessingRun


@admin.register(ProcessingRun)
class ProcessingRunAdmin(admin.ModelAdmin):
    list_display = ["document", "worker", "started_at", "finished_at", "outcome", "detail"]
    list_filter = ["outcome"]
