"""Top-up orders: money paid through a provider becomes points in a wallet.

A ``TopupOrder`` moves created → paid → credited, or created → expired / failed, only
through ``payments.lifecycle.topup_transition``, which appends a ``TopupEvent`` for every
change (and for every verified notification it refused).  Money is whole fen (分) with a
currency; points are whole points; the credit is one ledger transaction keyed by the
order, so it can happen only once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce.models.ledger import AppendOnlyModel, LedgerTransaction


class TopupStatus(models.TextChoices):
    CREATED = "created", _("awaiting payment")
    PAID = "paid", _("paid")
    CREDITED = "credited", _("credited")
    EXPIRED = "expired", _("expired")
    FAILED = "failed", _("failed")


class TopupActor(models.TextChoices):
    USER = "user", _("user")
    PROVIDER = "provider", _("payment provider")
    SYSTEM = "system", _("system")
    STAFF = "staff", _("staff")


class TopupOrder(models.Model):
    # The number the providers know (out_trade_no): unguessable, 6-32 letters and digits.
    number = models.CharField(_("order number"), max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topup_orders"
    )
    provider = models.CharField(_("provider"), max_length=20, db_index=True)
    amount = models.BigIntegerField(_("amount (fen)"), help_text="Money to pay, in fen (分).")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    points = models.BigIntegerField(_("points"), help_text="Points credited once it is paid.")
    status = models.CharField(
        _("status"), max_length=10, choices=TopupStatus.choices, default=TopupStatus.CREATED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    credited_at = models.DateTimeField(_("credited"), null=True, blank=True)
    # What the provider calls the payment (Alipay trade_no, WeChat transaction_id).
    provider_trade_no = models.CharField(_("provider's trade number"), max_length=64, blank=True)
    # A WeChat Native payment's code_url, fetched once when the payer first opens the QR page.
    pay_code = models.CharField(max_length=300, blank=True)
    queried_at = models.DateTimeField(null=True, blank=True)
    ledger_transaction = models.OneToOneField(
        LedgerTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topup_order",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("top-up order")
        verbose_name_plural = _("top-up orders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, points__gt=0), name="topup_positive_amounts"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="credited") | models.Q(ledger_transaction__isnull=False),
                name="topup_credited_has_transaction",
            ),
        ]
        indexes = [models.Index(fields=["user", "status"], name="topup_user_status")]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status == TopupStatus.CREATED


class TopupEvent(AppendOnlyModel):
    """One line of an order's history: a status change, or a refused notification."""

    order = models.ForeignKey(TopupOrder, on_delete=models.PROTECT, related_name="events")
    old_status = models.CharField(max_length=10, blank=True)
    new_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_kind = models.CharField(max_length=10, choices=TopupActor.choices)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("top-up event")
        verbose_name_plural = _("top-up events")

    def __str__(self):
        return f"{self.order_id}: {self.old_status or '-'} → {self.new_status}"
