from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "wenyuan.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self):
        from wenyuan.core.storage import file_referrer_register
        from wenyuan.service import attachments, queue

        queue.builtin_sources_register()
        file_referrer_register(attachments.attachment_files)
