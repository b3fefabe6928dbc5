"""Withdrawals: authors and sharers take out earnings or commissions; staff decide.

Request: the points move from the user's earnings (or commissions) into the pending
withdrawals account at once, so they cannot be spent twice.  Staff approve (the points
move on to payouts: the money was sent) or reject (they go back where they came from),
each with a reason.  Nobody decides their own withdrawal.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wenyuan.commerce import errors
from wenyuan.commerce.ledger import InsufficientFunds, account_of_user, account_system, ledger_post
from wenyuan.commerce.models import AccountKind, LedgerTransaction, Withdrawal
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.core.rules import money_rules
from wenyuan.library.services import text_clean

MAX_WITHDRAWAL = 1_000_000_000


def withdrawal_request(*, user, amount: int, source: str, payee: str) -> Withdrawal:
    minimum = money_rules().withdraw_min
    if type(amount) is not int or not minimum <= amount <= MAX_WITHDRAWAL:  # noqa: E721
        raise errors.invalid(
            "invalid_amount",
            _("A withdrawal is a whole number of points, at least %(min)s.") % {"min": minimum},
        )
    if source not in Withdrawal.Source.values:
        raise errors.invalid("invalid_source", _("Withdraw from earnings or commissions."))
    payee = text_clean(payee)[:200]
    if not payee:
        raise errors.invalid(
            "payee_required", _("Say where the money should go (for example an Alipay account).")
        )
    with transaction.atomic():
        try:
            record = ledger_post(
                kind=LedgerTransaction.Kind.WITHDRAWAL,
                lines=[
                    (account_of_user(user=user, kind=source), -amount),
                    (account_system(kind=AccountKind.WITHDRAWALS), amount),
                ],
                actor=user,
                memo=payee,
                meta={"user_id": user.pk, "source": source},
            )
        except InsufficientFunds:
            raise errors.CommerceError(
                "insufficient_balance",
                _("You have %(balance)s points to withdraw.")
                % {"balance": balance_of_user(user=user, kind=source)},
                status=402,
            ) from None
        return Withdrawal.objects.create(
            user=user, source=source, amount=amount, payee=payee, request_transaction=record
        )


def withdrawal_decide(*, withdrawal: Withdrawal, actor, approve: bool, reason: str) -> Withdrawal:
    """Approve (pay out) or reject (return) a requested withdrawal, once."""
    reason = text_clean(reason)[:300]
    if actor is None or not actor.is_staff:
        raise errors.forbidden(_("Only staff decide withdrawals."))
    if actor.pk == withdrawal.user_id:
        raise errors.forbidden(_("Another staff member must decide your own withdrawal."))
    if not reason:
        raise errors.invalid("reason_required", _("Give a reason for the decision."))
    with transaction.atomic():
        row = Withdrawal.objects.select_for_update().filter(pk=withdrawal.pk).first()
        if row is None:
            raise errors.not_found()
        if row.status != Withdrawal.Status.REQUESTED:
            raise errors.conflict("already_decided", _("This withdrawal was decided already."))
        pending = account_system(kind=AccountKind.WITHDRAWALS)
        if approve:
            kind, status = LedgerTransaction.Kind.WITHDRAWAL_PAID, Withdrawal.Status.PAID
            target = account_system(kind=AccountKind.PAYOUTS)
        else:
            kind, status = LedgerTransaction.Kind.WITHDRAWAL_RETURNED, Withdrawal.Status.REJECTED
            target = account_of_user(user=row.user, kind=row.source)
        record = ledger_post(
            kind=kind,
            lines=[(pending, -row.amount), (target, row.amount)],
            actor=actor,
            memo=reason,
            key=f"withdrawal:{row.pk}:decision",
            meta={"withdrawal_id": row.pk, "user_id": row.user_id},
        )
        Withdrawal.objects.filter(pk=row.pk, status=Withdrawal.Status.REQUESTED).update(
            status=status,
            decided_by=actor,
            decided_at=timezone.now(),
            reason=reason,
            decision_transaction=record,
        )
    withdrawal.refresh_from_db()
    return withdrawal
