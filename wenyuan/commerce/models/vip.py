"""VIP membership (会员): memberships, plan orders, members' downloads, monthly settlements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VipMembership(models.Model):
    """One row per member: until when the membership runs.  Locked while it changes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vip_membership"
    )
    expires_at = models.DateTimeField(_("member until"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("VIP membership")
        verbose_name_plural = _("VIP memberships")

    def __str__(self):
        return f"{self.user_id} → {self.expires_at:%Y-%m-%d}"


class VipOrder(models.Model):
    """One purchase of a plan: its price went from the wallet to the VIP pool."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vip_orders"
    )
    plan = models.CharField(max_length=30)
    days = models.PositiveIntegerField()
    price = models.PositiveIntegerField()
    # The calendar month (site time) whose settlement distributes this order's price.
    month = models.CharField(max_length=7, db_index=True)
    starts_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    transaction = models.OneToOneField(
        "commerce.LedgerTransaction", on_delete=models.PROTECT, related_name="vip_order"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("VIP order")
        verbose_name_plural = _("VIP orders")

    def __str__(self):
        return f"#{self.pk} {self.user_id} {self.plan}"


class VipDownload(models.Model):
    """A member's download of a VIP-free document in a month: counted once per document
    and month, against the quota, and for the month's settlement."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vip_downloads"
    )
    document = models.ForeignKey(
        "library.Document", on_delete=models.PROTECT, related_name="vip_downloads"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    month = models.CharField(max_length=7)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("VIP download")
        verbose_name_plural = _("VIP downloads")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document", "month"], name="vip_download_once_a_month"
            )
        ]
        indexes = [models.Index(fields=["month", "author"], name="vip_download_month_author")]

    def __str__(self):
        return f"{self.month} {self.user_id} → {self.document_id}"


class VipSettlement(models.Model):
    """The settlement of one month's VIP pool; one per month, ever."""

    month = models.CharField(max_length=7, unique=True)
    pool = models.PositiveIntegerField(help_text="The month's VIP revenue, in points.")
    authors_total = models.PositiveIntegerField(default=0)
    platform = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    transaction = models.OneToOneField(
        "commerce.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vip_settlement",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("VIP settlement")
        verbose_name_plural = _("VIP settlements")

    def __str__(self):
        return self.month


class VipSettlementLine(models.Model):
    """One author's part of a month's settlement."""

    settlement = models.ForeignKey(VipSettlement, on_delete=models.PROTECT, related_name="lines")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    downloads = models.PositiveIntegerField()
    amount = models.PositiveIntegerField()

    class Meta:
        ordering = ["-amount", "author_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "author"], name="vip_settlement_line_once"
            )
        ]

    def __str__(self):
        return f"{self.settlement_id} {self.author_id} {self.amount}"
