from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wenyuan.mail.models import MailPreference, OutboxMail
from wenyuan.mail.services import outbox_retry


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "kind", "recipients", "subject", "status", "attempts")
    list_filter = ("status", "kind")
    search_fields = ("subject", "to")
    actions = ["retry"]
    readonly_fields = [f.name for f in OutboxMail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("to"))
    def recipients(self, mail):
        return ", ".join(mail.to)

    @admin.action(description=_("Send the selected mails again"), permissions=["view"])
    def retry(self, request, queryset):
        count = outbox_retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d mail queued again.", "%(count)d mails queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(MailPreference)
class MailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "verified_email", "verified_at")
    search_fields = ("user__username", "verified_email")
    raw_id_fields = ("user",)
