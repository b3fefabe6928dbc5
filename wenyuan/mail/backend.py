"""Django's e-mail backend for the whole site: every mail goes into the outbox.

``send_mail``, ``EmailMessage.send``, ``PasswordResetForm`` … all end here; the row is
written in the caller's transaction, and its delivery is queued once that commits, so a
rolled-back action sends nothing and a crash after the commit loses nothing (the
periodic sweep delivers what is due).
"""

from __future__ import annotations

import logging

from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger("wenyuan.mail")

KIND_HEADER = "X-Wenyuan-Kind"


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from wenyuan.mail.services import outbox_add

        count = 0
        for message in email_messages:
            outbox_add(message=message)
            count += 1
        return count
