"""The site settings in the admin: read only.  Changes go through /staff/settings/
(``sitesettings.setting_change``), which validates them and writes the change log."""

from django.contrib import admin

from wenyuan.core.models import SiteSetting, SiteSettingChange


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SiteSetting)
class SiteSettingAdmin(_ReadOnly):
    list_display = ("name", "value", "updated_at")


@admin.register(SiteSettingChange)
class SiteSettingChangeAdmin(_ReadOnly):
    list_display = ("created_at", "actor_name", "name", "old_value", "new_value", "reason")
    list_filter = ("name",)
    search_fields = ("name", "reason", "actor_name")
