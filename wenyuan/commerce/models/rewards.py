"""Rewards (registering, the daily sign-in, published uploads) and staff grants."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SignIn(models.Model):
    """A user's daily sign-in (签到): once per day, with the streak it continued."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signins"
    )
    day = models.DateField()
    streak = models.PositiveIntegerField(default=1)
    points = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="signin_once_a_day")]

    def __str__(self):
        return f"{self.user_id} {self.day} ×{self.streak}"


class RewardDay(models.Model):
    """What one reward paid one subject (``user:42``, or ``site``) on one day: the caps."""

    kind = models.CharField(max_length=20)
    subject = models.CharField(max_length=40)
    day = models.DateField()
    points = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject", "day"], name="reward_day_once"),
        ]

    def __str__(self):
        return f"{self.kind} {self.subject} {self.day}: {self.points}"


class PointsGrant(models.Model):
    """A staff top-up of a wallet, with who asked, who decided and why.

    A grant to someone else is made at once.  A staff member's grant to themselves waits
    for a second staff member's approval (four eyes: points buy documents, and what they
    pay becomes authors' earnings that can be withdrawn).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a second staff member")
        GRANTED = "granted", _("granted")
        REFUSED = "refused", _("refused")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="points_grants",
        verbose_name=_("user"),
    )
    amount = models.PositiveIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decision_note = models.CharField(max_length=300, blank=True)
    transaction = models.OneToOneField(
        "commerce.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_grant",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("points grant")
        verbose_name_plural = _("points grants")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=1), name="grant_amount_positive"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.amount} → {self.user_id}"
