"""Purchases (orders) and the idempotency records of requests that move money."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Purchase(models.Model):
    """One buyer's purchase of one document: the entitlement, and the order behind it.

    At most one purchase of a document per buyer is in force (``paid``) at any time; a
    refunded purchase stays as a record, and its buyer may buy the document again.  The
    amounts are those of the purchase's ledger transaction, kept here for quick reads.
    """

    class Status(models.TextChoices):
        PAID = "paid", _("paid")
        REFUNDED = "refunded", _("refunded")

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    document = models.ForeignKey(
        "library.Document", on_delete=models.PROTECT, related_name="purchases"
    )
    price = models.PositiveIntegerField(_("price"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    share_link = models.ForeignKey(
        "commerce.ShareLink",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchases",
    )
    author_amount = models.PositiveIntegerField(default=0)
    sharer_amount = models.PositiveIntegerField(default=0)
    platform_amount = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PAID)
    transaction = models.OneToOneField(
        "commerce.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase",
    )
    created_at = models.DateTimeField(_("purchased at"), auto_now_add=True, db_index=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_reason = models.CharField(max_length=300, blank=True)
    refund_transaction = models.OneToOneField(
        "commerce.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunded_purchase",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "document"],
                condition=models.Q(status="paid"),
                name="purchase_once_while_paid",
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=1), name="purchase_price_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["document", "status"], name="purchase_document_status"),
            models.Index(fields=["author", "status"], name="purchase_author_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.buyer_id} → {self.document_id}"


class IdempotentRequest(models.Model):
    """The stored answer to a money-moving request sent with an ``Idempotency-Key``.

    Keys belong to a user: another user's key never matches.  The fingerprint is the
    request's method, path and body; the same key with another fingerprint is refused.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotent_requests"
    )
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"
