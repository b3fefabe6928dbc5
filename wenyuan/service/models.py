"""Support tickets (网站客服): a user's ticket, its messages both ways, their images, and the
canned answers staff reply with.

A ticket's due times are fixed when it is opened, from the targets then in force
(``WENYUAN_TICKET_FIRST_ANSWER_HOURS``, ``WENYUAN_TICKET_RESOLUTION_HOURS``), so changing a
target never moves the deadlines of tickets already promised.  ``first_answer_at`` and
``closed_at`` are stamped once (the first staff answer, the last close) and are what the
figures are computed from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    DOWNLOAD = "download", _("Download failed")
    PAYMENT = "payment", _("Payment or top-up")
    ACCOUNT = "account", _("Account")
    COPYRIGHT = "copyright", _("Copyright")
    OTHER = "other", _("Other")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("open")  # waiting for staff
    ANSWERED = "answered", _("answered")  # staff answered; the user's turn
    WAITING = "waiting", _("waiting")  # staff wait for something (the user, a payment provider)
    CLOSED = "closed", _("closed")


class Ticket(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    subject = models.CharField(_("subject"), max_length=120)
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    purchase = models.ForeignKey(
        "commerce.Purchase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("order"),
    )
    topup = models.ForeignKey(
        "commerce.TopupOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("top-up order"),
    )
    document = models.ForeignKey(
        "library.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("document"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        verbose_name=_("handled by"),
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_answer_due = models.DateTimeField(_("first answer due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    first_answer_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        indexes = [
            models.Index(fields=["status", "created_at"], name="ticket_status_created"),
            models.Index(fields=["owner", "status"], name="ticket_owner_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def due_at(self):
        """The next deadline: the first answer's until there is one, then the resolution's."""
        if self.status == TicketStatus.CLOSED:
            return None
        return self.first_answer_due if self.first_answer_at is None else self.resolution_due

    def is_overdue(self, now=None) -> bool:
        due = self.due_at
        return due is not None and due < (now or timezone.now())


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_staff = models.BooleanField(default=False)
    text = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")

    def __str__(self):
        return f"#{self.ticket_id}/{self.pk}"


class TicketAttachment(models.Model):
    """An image sent with a message: checked and re-encoded (metadata dropped) before it is
    stored; served only through ``access.attachment_get_for_user``."""

    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=200, unique=True)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.filename


class CannedAnswer(models.Model):
    """A prepared reply staff pick in a ticket (常用回复); ``category`` empty means any."""

    title = models.CharField(_("title"), max_length=80)
    text = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("canned answer")
        verbose_name_plural = _("canned answers")

    def __str__(self):
        return self.title


class UploadReview(models.Model):
    """Staff looked at a flagged upload and kept it as it is (it leaves the queue until its
    signals are computed again).  Publishing, rejecting or taking it down is a status
    change and is logged by the lifecycle instead."""

    document = models.OneToOneField(
        "library.Document", on_delete=models.CASCADE, related_name="upload_review"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.document_id} kept by {self.actor_id}"
