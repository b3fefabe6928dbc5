"""Complaints, copyright notices, counter-notices, their log, notifications, sanctions.

``TrustEvent`` is the append-only record of every step of a case (who, when, why): rows
are only ever created; ``save`` of an existing row and ``delete`` raise.  A sanction is
never deleted either: lifting one stamps ``lifted_at``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ComplaintReason(models.TextChoices):
    MISMATCH = "mismatch", _("Content does not match the title")
    INCOMPLETE = "incomplete", _("Incomplete or cannot be opened")
    COPYRIGHT = "copyright", _("Infringes copyright")
    ILLEGAL = "illegal", _("Illegal content")
    SPAM = "spam", _("Advertising or spam")
    OTHER = "other", _("Other")


class Complaint(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        DECIDED = "decided", _("Decided")

    class Decision(models.TextChoices):
        REFUND = "refund", _("Refunded")
        REJECT = "reject", _("Rejected")
        TAKE_DOWN = "take_down", _("Document taken down")
        HIDE = "hide", _("Document hidden for review")

    UPHELD = (Decision.REFUND, Decision.TAKE_DOWN, Decision.HIDE)

    document = models.ForeignKey(
        "library.Document", on_delete=models.CASCADE, related_name="complaints"
    )
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="complaints"
    )
    reason = models.CharField(max_length=20, choices=ComplaintReason.choices)
    text = models.TextField(max_length=2000)
    purchase = models.ForeignKey(
        "commerce.Purchase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The complainant's paid purchase of the document when they filed.",
    )
    flagged_upload = models.BooleanField(
        default=False, help_text="The document's quality signals were flagged when filed."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_owned",
        help_text="The staff member handling it.",
    )
    answer = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refund_transaction = models.ForeignKey(
        "commerce.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    buyers_policy = models.CharField(
        max_length=10, blank=True, help_text="keep or refund: what a take-down did for buyers."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["document", "status"], name="trust_complaint_doc_status")]

    def __str__(self):
        return f"#{self.pk} {self.get_reason_display()} on {self.document_id}"

    @property
    def upheld(self) -> bool:
        return self.decision in self.UPHELD


class CopyrightNotice(models.Model):
    """通知: a rights holder's notice; no account needed."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        TAKEN_DOWN = "taken_down", _("Document taken down")
        REJECTED = "rejected", _("Rejected")
        REINSTATED = "reinstated", _("Document reinstated")

    document = models.ForeignKey(
        "library.Document", on_delete=models.CASCADE, related_name="copyright_notices"
    )
    claimant = models.CharField(max_length=200)
    contact = models.CharField(max_length=300)
    work = models.TextField(max_length=2000, help_text="The work claimed.")
    evidence = models.TextField(max_length=5000)
    address = models.CharField(max_length=64, blank=True, help_text="The filer's address.")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    buyers_policy = models.CharField(
        max_length=10, blank=True, help_text="keep or refund: what the takedown did for buyers."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("copyright notice")
        verbose_name_plural = _("copyright notices")

    def __str__(self):
        return f"#{self.pk} {self.claimant} on {self.document_id}"


class CounterNotice(models.Model):
    """反通知: the uploader's answer to a takedown."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld: document reinstated")
        REJECTED = "rejected", _("Rejected")

    notice = models.ForeignKey(
        CopyrightNotice, on_delete=models.CASCADE, related_name="counter_notices"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(max_length=5000)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("counter-notice")
        verbose_name_plural = _("counter-notices")

    def __str__(self):
        return f"#{self.pk} on notice {self.notice_id}"


class AppendOnly(Exception):
    pass


ACTION_LABELS = {
    "filed": _("filed"),
    "assigned": _("assigned"),
    "answered": _("answered"),
    "taken_down": _("taken down"),
    "rejected": _("rejected"),
    "counter_filed": _("counter-notice filed"),
    "reinstated": _("reinstated"),
    "counter_rejected": _("counter-notice rejected"),
    "decided:refund": _("decided: refund"),
    "decided:reject": _("decided: reject"),
    "decided:take_down": _("decided: take down"),
    "decided:hide": _("decided: hide for review"),
}


class TrustEvent(models.Model):
    """One step of a complaint or a notice: append-only."""

    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    notice = models.ForeignKey(
        CopyrightNotice, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="Who acted when not a user (a claimant)."
    )
    reason = models.TextField(blank=True, max_length=5000)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("trust event")
        verbose_name_plural = _("trust events")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("trust events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("trust events are append-only")

    @property
    def action_label(self) -> str:
        """The step in the reader's language (the stored code stays the API's)."""
        return str(ACTION_LABELS.get(self.action, self.action))


class Notification(models.Model):
    """A message to a user (their document was taken down, a complaint was answered).

    Stored as a ``kind`` and its parameters, worded when shown (``notifications.py``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_notifications"
    )
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    notice = models.ForeignKey(
        CopyrightNotice, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user_id} {self.kind}"


class SanctionKind(models.TextChoices):
    UPLOAD = "upload", _("Uploading")
    COMMENT = "comment", _("Commenting")
    DOWNLOAD = "download", _("Downloading")
    LOGIN = "login", _("Signing in")


class Sanction(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions"
    )
    kind = models.CharField(max_length=10, choices=SanctionKind.choices)
    reason = models.TextField(max_length=2000, help_text="Shown to the user.")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: for good.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(blank=True, max_length=2000)

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        indexes = [models.Index(fields=["user", "kind"], name="trust_sanction_user_kind")]

    def __str__(self):
        return f"{self.user_id} {self.kind}"

    def active_at(self, when) -> bool:
        return (
            self.lifted_at is None
            and self.starts_at <= when
            and (self.ends_at is None or when < self.ends_at)
        )
