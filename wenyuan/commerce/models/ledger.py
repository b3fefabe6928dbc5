"""The ledger: accounts, transactions and their entries (double-entry, append-only).

Every movement of points is one ``LedgerTransaction`` whose ``Entry`` rows sum to zero.
An account's balance is the sum of its entries; ``Account.balance`` caches it, updated in
the same database transaction as the entries (``ledger.ledger_post``) and verified by
``ledger.ledger_check`` (``wenyuan ledger check``).  Entries and transactions are never
updated or deleted: a mistake is corrected by a new transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Something tried to change or delete a ledger record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AccountKind(models.TextChoices):
    # A user's own accounts: never negative.
    WALLET = "wallet", _("wallet")
    EARNINGS = "earnings", _("author earnings")
    COMMISSIONS = "commissions", _("referral commissions")
    # The platform's accounts.
    PLATFORM = "platform", _("platform revenue")
    PROMOTIONS = "promotions", _("promotions expense")
    GRANTS = "grants", _("staff grants")
    VIP_POOL = "vip_pool", _("VIP pool")
    CLEARING = "clearing", _("top-up clearing")
    WITHDRAWALS = "withdrawals", _("withdrawals pending")
    PAYOUTS = "payouts", _("payouts")
    LOSSES = "losses", _("refund losses")


# Accounts whose balance may go below zero: the sources of points (what the platform
# received from a payment provider, what promotions and grants cost, what refunds cost
# the platform when an author had already withdrawn the money).  Everything else, every
# user's wallet included, is refused a movement that would make it negative.
MAY_GO_NEGATIVE = {
    AccountKind.CLEARING,
    AccountKind.PROMOTIONS,
    AccountKind.GRANTS,
    AccountKind.LOSSES,
}
USER_KINDS = {AccountKind.WALLET, AccountKind.EARNINGS, AccountKind.COMMISSIONS}


class Account(models.Model):
    code = models.CharField(max_length=80, unique=True, help_text="wallet:42, platform, …")
    kind = models.CharField(max_length=20, choices=AccountKind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    allow_negative = models.BooleanField(default=False)
    balance = models.BigIntegerField(default=0, help_text="Cached sum of the entries.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(allow_negative=True) | models.Q(balance__gte=0),
                name="account_balance_not_negative",
            ),
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=models.Q(user__isnull=False),
                name="account_once_per_user_and_kind",
            ),
        ]

    def __str__(self):
        return self.code


class LedgerTransaction(AppendOnlyModel):
    class Kind(models.TextChoices):
        TOPUP = "topup", _("top-up")
        GRANT = "grant", _("staff grant")
        REWARD = "reward", _("reward")
        PURCHASE = "purchase", _("purchase")
        REFUND = "refund", _("refund")
        VIP = "vip", _("VIP membership")
        SETTLEMENT = "settlement", _("VIP settlement")
        WITHDRAWAL = "withdrawal", _("withdrawal request")
        WITHDRAWAL_PAID = "withdrawal_paid", _("withdrawal paid")
        WITHDRAWAL_RETURNED = "withdrawal_returned", _("withdrawal returned")
        CORRECTION = "correction", _("correction")

    kind = models.CharField(max_length=30, choices=Kind.choices, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who caused it (the buyer, the staff member); empty for the system.",
    )
    memo = models.CharField(max_length=300, blank=True)
    # One transaction per key, ever: what makes retries, replays and double clicks harmless.
    key = models.CharField(max_length=150, null=True, blank=True, unique=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="The transaction this one undoes (a refund, a correction); at most once.",
    )
    meta = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self):
        return f"#{self.pk} {self.kind}"


class Entry(AppendOnlyModel):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(help_text="Points; positive in, negative out.")
    balance_after = models.BigIntegerField(help_text="The account's balance after this entry.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="entry_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="entry_account_recent")]

    def __str__(self):
        return f"{self.account_id} {self.amount:+d}"
