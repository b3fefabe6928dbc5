from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from wenyuan.conversion.services import document_retry
from wenyuan.library.models import Category, Document, Favorite, Keyword, Status
from wenyuan.search.services import search_index_sync


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
        ids = list(queryset.values_list("pk", flat=True))
        for document in queryset:
            document_retry(document=document)
        search_index_sync(document_ids=ids)

    @admin.action(description=_("Reject"))
    def reject(self, request, queryset):
        self._set_status(queryset, Status.REJECTED)

    @admin.action(description=_("Take down"))
    def take_down(self, request, queryset):
        self._set_status(queryset, Status.TAKEN_DOWN)

    @admin.action(description=_("Publish again"))
    def restore(self, request, queryset):
        self._set_status(queryset.exclude(pages=None), Status.PUBLISHED)

    @staticmethod
    def _set_status(queryset, status):
        """A bulk status change, with the search index following in the same transaction."""
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True))
            queryset.filter(pk__in=ids).update(status=status)
            search_index_sync(document_ids=ids)


admin.site.register(Keyword)
admin.site.register(Favorite)
