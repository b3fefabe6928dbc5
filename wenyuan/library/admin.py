from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wenyuan.conversion.services import document_retry
from wenyuan.library.models import Category, Document, Favorite, Keyword, Status


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_zh", "name_en", "parent", "position"]
    list_filter = ["parent"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "owner", "format", "pages", "status", "stage", "uploaded_at"]
    list_filter = ["status", "format", "category"]
    search_fields = ["title", "filename", "sha256", "owner__username"]
    readonly_fields = [
        "sha256",
        "original",
        "pdf",
        "size_bytes",
        "mime_type",
        "attempts",
        "claimed_by",
        "claimed_at",
        "uploaded_at",
        "published_at",
        "downloads",
        "views",
    ]
    actions = ["rerun", "reject", "take_down", "restore"]

    @admin.action(description=_("Re-run processing"))
    def rerun(self, request, queryset):
        for document in queryset:
            document_retry(document=document)

    @admin.action(description=_("Reject"))
    def reject(self, request, queryset):
        queryset.update(status=Status.REJECTED)

    @admin.action(description=_("Take down"))
    def take_down(self, request, queryset):
        queryset.update(status=Status.TAKEN_DOWN)

    @admin.action(description=_("Publish again"))
    def restore(self, request, queryset):
        queryset.exclude(pages=None).update(status=Status.PUBLISHED)


admin.site.register(Keyword)
admin.site.register(Favorite)
