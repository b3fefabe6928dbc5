"""Refunds: the purchase's entries reversed, the entitlement gone, once.

The trust app's complaints call ``purchase_refund``; staff can also refund from the admin.
The buyer always gets the full price back.  Every account the purchase paid (author,
platform, sharer) gives back its part.  If an author or a sharer has meanwhile withdrawn
the money and their balance no longer covers their part, they give back what they have
and the platform absorbs the rest: the difference is charged to the ``losses`` account,
so the books show what the refund cost the platform (docs/money.md, "Refunds").
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wenyuan.commerce import errors
from wenyuan.commerce.ledger import account_system, ledger_post
from wenyuan.commerce.models import Account, AccountKind, LedgerTransaction, Purchase


def purchase_refund(*, purchase: Purchase, actor=None, reason: str) -> LedgerTransaction:
    """Refund ``purchase`` to its buyer; raises ``CommerceError`` if refused (e.g. twice)."""
    reason = (reason or "").strip()
    if not reason:
        raise errors.invalid("reason_required", _("Give a reason for the refund."))
    with transaction.atomic():
        row = Purchase.objects.select_for_update().filter(pk=purchase.pk).first()
        if row is None:
            raise errors.not_found()
        if row.status != Purchase.Status.PAID or row.transaction_id is None:
            raise errors.conflict("already_refunded", _("This purchase was refunded already."))
        original = row.transaction
        entries = list(original.entries.order_by("account_id"))
        locked = {
            account.pk: account
            for account in Account.objects.select_for_update()
            .filter(pk__in=[entry.account_id for entry in entries])
            .order_by("pk")
        }
        lines, shortfall, taken = [], 0, {}
        for entry in entries:
            account = locked[entry.account_id]
            if entry.amount < 0:  # the buyer's wallet: the whole price back
                lines.append((account, -entry.amount))
                continue
            take = entry.amount if account.allow_negative else min(entry.amount, account.balance)
            lines.append((account, -take))
            taken[account.code] = take
            shortfall += entry.amount - take
        if shortfall:
            lines.append((account_system(kind=AccountKind.LOSSES), -shortfall))
        record = ledger_post(
            kind=LedgerTransaction.Kind.REFUND,
            lines=lines,
            actor=actor,
            memo=reason,
            key=f"refund:{row.pk}",
            reverses=original,
            meta={
                "purchase_id": row.pk,
                "document_id": row.document_id,
                "buyer_id": row.buyer_id,
                "taken_back": taken,
                "absorbed_by_platform": shortfall,
            },
        )
        Purchase.objects.filter(pk=row.pk, status=Purchase.Status.PAID).update(
            status=Purchase.Status.REFUNDED,
            refunded_at=timezone.now(),
            refunded_by=actor,
            refund_reason=reason[:300],
            refund_transaction=record,
        )
    purchase.refresh_from_db()
    return record
