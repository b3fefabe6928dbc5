"""Says plainly at start (``manage check``, ``wenyuan serve``) when mail is not sent."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def smtp_host_check(app_configs, **kwargs):
    if settings.WENYUAN_SMTP_HOST:
        return []
    return [
        Warning(
            "No SMTP host (WENYUAN_SMTP_HOST): mails are kept in the outbox and not sent.",
            hint="Set WENYUAN_SMTP_HOST (docs/email.md); `wenyuan outbox list` shows the outbox.",
            id="wenyuan.mail.W001",
        )
    ]
