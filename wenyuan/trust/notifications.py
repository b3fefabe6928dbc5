"""Notifications to users: stored as a kind and its parameters, worded when shown."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notification

_TEXTS = {
    "complaint_answered": lambda p: (
        _("Your complaint #%(complaint)s about “%(title)s” was answered.") % p
    ),
    "complaint_decided": lambda p: (
        _("Your complaint #%(complaint)s about “%(title)s” was decided: %(decision)s.") % p
    ),
    "document_taken_down": lambda p: (
        _(
            "Your document “%(title)s” was taken down after a copyright notice (#%(notice)s). "
            "Reason: %(reason)s. If you hold the rights, you may file a counter-notice."
        )
        % p
    ),
    "document_reinstated": lambda p: (
        _("Your document “%(title)s” was reinstated after your counter-notice. Reason: %(reason)s")
        % p
    ),
    "document_still_down": lambda p: (
        _(
            "Your counter-notice about “%(title)s” was upheld (%(reason)s), but the document "
            "stays down: another notice, complaint or staff decision still applies to it."
        )
        % p
    ),
    "counter_notice_rejected": lambda p: (
        _("Your counter-notice about “%(title)s” was rejected. Reason: %(reason)s") % p
    ),
    "document_hidden": lambda p: (
        _(
            "A complaint about your document “%(title)s” was decided: %(decision)s. Reason: %(reason)s"
        )
        % p
    ),
    "purchase_refunded": lambda p: (
        _(
            "Your purchase of “%(title)s” was refunded in full (%(amount)s points): "
            "the document was taken down."
        )
        % p
    ),
}


def notification_send(*, user, kind: str, params: dict, notice=None, complaint=None):
    if kind not in _TEXTS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return Notification.objects.create(
        user=user, kind=kind, params=params, notice=notice, complaint=complaint
    )


def notification_text(notification: Notification) -> str:
    from .models import Complaint

    params = {k: (str(v) if v is not None else "") for k, v in notification.params.items()}
    if params.get("decision") in Complaint.Decision.values:
        params["decision"] = str(Complaint.Decision(params["decision"]).label)
    try:
        return _TEXTS[notification.kind](params)
    except (KeyError, ValueError, TypeError):
        return notification.kind


def notifications_of(*, user):
    return Notification.objects.filter(user=user).select_related("notice")


def notifications_mark_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())
