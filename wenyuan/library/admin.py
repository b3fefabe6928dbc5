"""Staff moderation in Django's admin.  Every status change asks for a reason and goes
through ``lifecycle`` (one function decides); the status itself is not an editable field,
and the log of changes (``DocumentEvent``) is read-only."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from wenyuan.conversion.services import document_reprocess
from wenyuan.library.lifecycle import LifecycleError, document_moderate
from wenyuan.library.models import Category, Document, DocumentEvent, Favorite, Keyword


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "name_zh",
        "name_en",
        "parent",
        "position",
        "vip_free",
        "flagged_uploads",
    ]
    list_filter = ["parent"]
    search_fields = ["slug", "name_zh", "name_en"]  # for the documents' category autocomplete


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class DocumentEventInline(admin.TabularInline):
    model = DocumentEvent
    fields = ["created_at", "old_status", "new_status", "actor", "actor_kind", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "owner", "format", "pages", "status", "stage", "uploaded_at"]
    list_filter = ["status", "stage", "format", "category"]
    search_fields = ["title", "filename", "sha256", "owner__username"]
    # A site with thousands of users and a deep category tree: search, not a <select>.
    autocomplete_fields = ["owner", "category"]
    list_select_related = ["owner"]
    readonly_fields = [
        "status",
        "stage",
        "sha256",
        "original",
        "pdf",
        "asset_key",
        "size_bytes",
        "mime_type",
        "format",
        "pages",
        "ocr_pages",
        "error_code",
        "error",
        "attempts",
        "claimed_by",
        "claimed_at",
        "lease_expires_at",
        "queued_at",
        "uploaded_at",
        "published_at",
        "downloads",
        "views",
    ]
    exclude = [
        "claim_token",
        "queue_rank",
        "job_step",
        "job_asset_key",
        "job_seconds",
        "error_params",
        "progress_done",
        "progress_total",
    ]
    inlines = [DocumentEventInline]
    actions = ["rerun", "reject", "take_down", "restore"]

    @admin.action(description=gettext_lazy("Re-run processing"))
    def rerun(self, request, queryset):
        return self._with_reason(request, queryset, "rerun", _("Re-run processing of:"))

    @admin.action(description=gettext_lazy("Reject"))
    def reject(self, request, queryset):
        return self._with_reason(request, queryset, "reject", _("Reject these documents:"))

    @admin.action(description=gettext_lazy("Take down"))
    def take_down(self, request, queryset):
        return self._with_reason(request, queryset, "take_down", _("Take down these documents:"))

    @admin.action(description=gettext_lazy("Restore (publish again)"))
    def restore(self, request, queryset):
        return self._with_reason(request, queryset, "restore", _("Restore these documents:"))

    def _with_reason(self, request, queryset, action: str, question: str):
        """Ask for the reason first; then apply the action to each document in turn."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/library/moderate.html",
                {
                    **self.admin_site.each_context(request),
                    "title": question,
                    "question": question,
                    "documents": list(queryset),
                    "form": form,
                    "action": action,
                },
            )
        reason = form.cleaned_data["reason"]
        done, refused = 0, []
        for document in queryset:
            try:
                if action == "rerun":
                    if document_reprocess(document=document, actor=request.user, reason=reason):
                        done += 1
                    else:
                        refused.append(
                            _("%(id)s: it is being processed already") % {"id": document.pk}
                        )
                else:
                    document_moderate(
                        document=document, action=action, actor=request.user, reason=reason
                    )
                    done += 1
            except LifecycleError as exc:
                refused.append(f"{document.pk}: {exc.message}")
        self._report(request, action, done, refused)
        return None

    ACTION_DONE = {
        "rerun": pgettext_lazy("admin action done", "queued for processing again"),
        "reject": pgettext_lazy("admin action done", "rejected"),
        "take_down": pgettext_lazy("admin action done", "taken down"),
        "restore": pgettext_lazy("admin action done", "published again"),
    }

    def _report(self, request, action: str, done: int, refused: list[str]) -> None:
        """Feedback after an action: what was done (success), what was refused and why
        (a warning each), and a warning when nothing changed at all."""
        if done:
            self.message_user(
                request,
                ngettext("%(count)s document %(done)s.", "%(count)s documents %(done)s.", done)
                % {"count": done, "done": self.ACTION_DONE[action]},
                level=messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, level=messages.WARNING)
        if not done and not refused:
            self.message_user(request, _("No document was changed."), level=messages.WARNING)


@admin.register(DocumentEvent)
class DocumentEventAdmin(admin.ModelAdmin):
    """The moderation log: append-only, never edited or deleted."""

    list_display = ["created_at", "document", "old_status", "new_status", "actor", "actor_kind"]
    list_filter = ["new_status", "actor_kind"]
    search_fields = ["document__title", "reason", "actor__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Keyword)
admin.site.register(Favorite)
