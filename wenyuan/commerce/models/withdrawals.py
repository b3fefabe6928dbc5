"""Withdrawals of earnings and commissions, approved or rejected by staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Withdrawal(models.Model):
    """Requested: the points moved from the user's earnings (or commissions) to the
    pending-withdrawals account.  Paid: moved on to payouts.  Rejected: moved back."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        PAID = "paid", _("paid out")
        REJECTED = "rejected", _("rejected")

    class Source(models.TextChoices):
        EARNINGS = "earnings", _("author earnings")
        COMMISSIONS = "commissions", _("referral commissions")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="withdrawals",
        verbose_name=_("user"),
    )
    source = models.CharField(
        _("from"), max_length=12, choices=Source.choices, default=Source.EARNINGS
    )
    amount = models.PositiveIntegerField(_("points"))
    payee = models.CharField(_("pay to"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    request_transaction = models.OneToOneField(
        "commerce.LedgerTransaction", on_delete=models.PROTECT, related_name="withdrawal_request"
    )
    decision_transaction = models.OneToOneField(
        "commerce.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawal_decision",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=1), name="withdrawal_amount_positive"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.amount} ({self.status})"
