"""Connected from ``MailConfig.ready()``: events of the lower layers become mails."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger("wenyuan.mail")


def receivers_connect() -> None:
    from wenyuan.commerce.models import Purchase
    from wenyuan.library.lifecycle import document_status_changed
    from wenyuan.service.models import TicketMessage
    from wenyuan.trust.models import Notification

    document_status_changed.connect(on_document_status_changed, dispatch_uid="mail-document")
    post_save.connect(on_purchase_saved, sender=Purchase, dispatch_uid="mail-purchase")
    post_save.connect(on_trust_notification, sender=Notification, dispatch_uid="mail-trust")
    post_save.connect(on_ticket_message, sender=TicketMessage, dispatch_uid="mail-ticket")


def _safely(send) -> None:
    """A notification mail must never break the action that caused it."""
    try:
        send()
    except Exception:
        log.exception("a notification mail could not be put into the outbox")


def on_document_status_changed(sender, document_id, old, new, **kwargs) -> None:
    from wenyuan.library.models import Document, Status
    from wenyuan.mail.notifications import notification_mail

    if new not in (Status.PUBLISHED, Status.FAILED) or old == new:
        return
    document = Document.objects.select_related("owner").filter(pk=document_id).first()
    if document is None or document.owner_id is None:
        return
    if new == Status.PUBLISHED:
        kind, params = "document_published", {"title": document.title}
    else:
        kind, params = (
            "document_failed",
            {"title": document.title, "reason": document.failure_reason},
        )
    _safely(
        lambda: notification_mail(
            user=document.owner, kind=kind, params=params, path=document.get_absolute_url()
        )
    )


def on_purchase_saved(sender, instance, created, **kwargs) -> None:
    if not created:
        return
    from wenyuan.mail.notifications import notification_mail

    def send():
        purchase = type(instance).objects.select_related("author", "document").get(pk=instance.pk)
        notification_mail(
            user=purchase.author,
            kind="document_sold",
            params={"title": purchase.document.title, "price": purchase.price},
            path=purchase.document.get_absolute_url(),
        )

    transaction.on_commit(lambda: _safely(send))


def on_trust_notification(sender, instance, created, **kwargs) -> None:
    if not created or instance.kind not in ("complaint_answered", "complaint_decided"):
        return
    from wenyuan.mail.notifications import notification_mail
    from wenyuan.trust.notifications import notification_text

    def send():
        title = instance.params.get("title", "")
        notification_mail(
            user=instance.user,
            kind="complaint_answered",
            params={"title": title, "text": notification_text(instance)},
        )

    transaction.on_commit(lambda: _safely(send))


def on_ticket_message(sender, instance, created, **kwargs) -> None:
    if not created or not instance.from_staff:
        return
    from django.urls import reverse

    from wenyuan.mail.notifications import notification_mail

    def send():
        ticket = instance.ticket
        notification_mail(
            user=ticket.owner,
            kind="ticket_answered",
            params={"title": ticket.subject, "text": instance.text},
            path=reverse("service:ticket", args=[ticket.pk]),
        )

    transaction.on_commit(lambda: _safely(send))
