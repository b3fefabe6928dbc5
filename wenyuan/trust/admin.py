"""Raw records in Django's admin.  Decisions go through the staff pages and the API (the
services), so the admin shows cases read-only; sanctions may be imposed from it, through
``sanction_impose``."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import sanctions
from .models import Complaint, CopyrightNotice, CounterNotice, Notification, Sanction, TrustEvent


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnly):
    list_display = ("pk", "document", "complainant", "reason", "status", "decision", "created_at")
    list_filter = ("status", "reason", "decision")


@admin.register(CopyrightNotice)
class NoticeAdmin(ReadOnly):
    list_display = ("pk", "document", "claimant", "status", "created_at")
    list_filter = ("status",)


@admin.register(CounterNotice)
class CounterAdmin(ReadOnly):
    list_display = ("pk", "notice", "uploader", "status", "created_at")


@admin.register(TrustEvent)
class EventAdmin(ReadOnly):
    list_display = ("created_at", "action", "complaint", "notice", "actor", "actor_label")
    list_filter = ("action",)


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ("created_at", "user", "kind", "read_at")


class SanctionForm(forms.ModelForm):
    class Meta:
        model = Sanction
        fields = ("user", "kind", "reason", "ends_at")

    def clean(self):
        data = super().clean()
        user, ends_at = data.get("user"), data.get("ends_at")
        if user is not None and user.is_staff:
            raise forms.ValidationError(_("Staff accounts cannot be sanctioned here."))
        if ends_at is not None and ends_at <= timezone.now():
            raise forms.ValidationError(_("The end of a sanction must be in the future."))
        return data


@admin.register(Sanction)
class SanctionAdmin(admin.ModelAdmin):
    form = SanctionForm
    list_display = ("pk", "user", "kind", "reason", "ends_at", "lifted_at", "created_by")
    list_filter = ("kind",)
    fields = ("user", "kind", "reason", "ends_at")
    raw_id_fields = ("user",)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return
        made = sanctions.sanction_impose(
            user=obj.user,
            kind=obj.kind,
            reason=obj.reason,
            actor=request.user,
            ends_at=obj.ends_at,
        )
        obj.pk = made.pk
