"""Notifications by mail: worded here, sent through the outbox, only when the user wants
them and only to a verified address (``services.notification_wanted`` decides)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from wenyuan.mail.backend import KIND_HEADER
from wenyuan.mail.services import notification_wanted


def _subjects() -> dict[str, str]:
    return {
        "document_published": _("Your document “%(title)s” is published"),
        "document_failed": _("Your document “%(title)s” could not be processed"),
        "document_sold": _("Your document “%(title)s” was bought"),
        "complaint_answered": _("Your complaint about “%(title)s” was answered"),
        "ticket_answered": _("Your ticket “%(title)s” was answered"),
    }


def _bodies() -> dict[str, str]:
    return {
        "document_published": _("Your document “%(title)s” is published and readers can find it."),
        "document_failed": _(
            "Your document “%(title)s” could not be processed. Reason: %(reason)s"
        ),
        "document_sold": _("Someone bought your document “%(title)s” for %(price)s points."),
        "complaint_answered": "%(text)s",  # trust worded it already
        "ticket_answered": _("Staff answered your ticket “%(title)s”:\n\n%(text)s"),
    }


def notification_mail(*, user, kind: str, params: dict, path: str = "") -> bool:
    """Put one notification mail for ``user`` into the outbox; False when it is not sent
    (switched off, no verified address)."""
    if not notification_wanted(user=user, kind=kind):
        return False
    # In the site's language, not that of whoever caused it (a buyer's request).
    with translation.override(settings.LANGUAGE_CODE):
        _mail(user=user, kind=kind, params=params, path=path)
    return True


def _mail(*, user, kind: str, params: dict, path: str) -> None:
    params = {k: str(v) for k, v in params.items()}
    body = _bodies()[kind] % params
    if path:
        body += "\n\n" + settings.WENYUAN_SITE_URL + path
    body += "\n\n" + _(
        "You get this mail because of your mail settings on %(site)s; switch it off at %(url)s"
    ) % {
        "site": settings.WENYUAN_SITE_URL,
        "url": settings.WENYUAN_SITE_URL + "/accounts/settings/email/",
    }
    EmailMessage(
        subject=_subjects()[kind] % params,
        body=body,
        to=[user.email],
        headers={KIND_HEADER: kind},
    ).send()
