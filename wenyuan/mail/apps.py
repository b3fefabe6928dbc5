from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "wenyuan.mail"
    label = "mail"
    verbose_name = _("E-mail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Notifications by mail: this app listens to the lower layers' signals; they
        # import nothing of it.
        from wenyuan.mail import checks, receivers  # noqa: F401

        receivers.receivers_connect()
