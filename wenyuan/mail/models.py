"""The outbox (every mail the site sends) and what each user wants mailed to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMail(models.Model):
    """One mail: stored by ``backend.OutboxBackend`` when Django sends it, delivered over
    SMTP by ``services.outbox_deliver`` (a queue job), retried with back-off."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=40, default="other")
    from_email = models.CharField(_("from"), max_length=300)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox mail")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"#{self.pk} {self.kind} → {', '.join(self.to)} [{self.status}]"


class MailPreference(models.Model):
    """A user's mail settings: which notifications they get, and which address they proved
    to be theirs (mail goes only to ``user.email`` when it equals ``verified_email``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preference"
    )
    verified_email = models.EmailField(_("verified address"), blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    document_published = models.BooleanField(_("my document was published"), default=True)
    document_failed = models.BooleanField(_("my document could not be processed"), default=True)
    document_sold = models.BooleanField(_("my document was sold"), default=True)
    complaint_answered = models.BooleanField(_("my complaint was answered"), default=True)
    ticket_answered = models.BooleanField(_("my ticket was answered"), default=True)

    class Meta:
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")

    def __str__(self):
        return f"{self.user} ({self.verified_email or '-'})"


# The notification kinds a user may switch off: the preference field of each.
NOTIFICATION_KINDS = (
    "document_published",
    "document_failed",
    "document_sold",
    "complaint_answered",
    "ticket_answered",
)
