from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrustConfig(AppConfig):
    name = "wenyuan.trust"
    label = "trust"
    verbose_name = _("Trust and service")

    def ready(self):
        from wenyuan.trust import rules

        rules.register()
