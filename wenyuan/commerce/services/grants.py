"""Staff grants of points: who asked, who decided, why; a grant to oneself needs four eyes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wenyuan.commerce import errors
from wenyuan.commerce.ledger import account_of_user, account_system, ledger_post
from wenyuan.commerce.models import AccountKind, LedgerTransaction, PointsGrant
from wenyuan.library.services import text_clean

MAX_GRANT = 10_000_000


def points_grant(*, user, amount: int, actor=None, reason: str, key: str | None = None):
    """A staff top-up of a wallet, paid from the grants account, with who and why."""
    if type(amount) is not int or not 0 < amount <= MAX_GRANT:  # noqa: E721
        raise ValueError(f"a grant is a whole number of points from 1 to {MAX_GRANT}")
    if not (reason or "").strip():
        raise ValueError("a grant needs a reason")
    return ledger_post(
        kind=LedgerTransaction.Kind.GRANT,
        lines=[
            (account_system(kind=AccountKind.GRANTS), -amount),
            (account_of_user(user=user), amount),
        ],
        actor=actor,
        memo=reason.strip(),
        key=key,
        meta={"user_id": user.pk},
    )


def _grant_clean(*, amount, reason: str) -> str:
    if type(amount) is not int or not 0 < amount <= MAX_GRANT:  # noqa: E721
        raise errors.invalid(
            "invalid_amount",
            _("A grant is a whole number of points from 1 to %(max)s.") % {"max": MAX_GRANT},
        )
    reason = text_clean(reason)[:300]
    if not reason:
        raise errors.invalid("reason_required", _("Give a reason for the grant."))
    return reason


def _grant_pay(*, grant: PointsGrant, actor) -> PointsGrant:
    record = points_grant(
        user=grant.user,
        amount=grant.amount,
        actor=actor,
        reason=grant.reason,
        key=f"grant:{grant.pk}",
    )
    PointsGrant.objects.filter(pk=grant.pk, status=PointsGrant.Status.PENDING).update(
        status=PointsGrant.Status.GRANTED,
        decided_by=actor,
        decided_at=timezone.now(),
        transaction=record,
    )
    grant.refresh_from_db()
    return grant


def grant_request(*, user, amount: int, reason: str, requested_by=None) -> PointsGrant:
    """Grant points to ``user``: at once, unless a staff member grants to themselves.

    ``requested_by`` is the staff member (None: the operator's shell, ``wenyuan points``).
    """
    reason = _grant_clean(amount=amount, reason=reason)
    if requested_by is not None and not requested_by.is_staff:
        raise errors.forbidden(_("Only staff grant points."))
    with transaction.atomic():
        grant = PointsGrant.objects.create(
            user=user, amount=amount, reason=reason, requested_by=requested_by
        )
        if requested_by is not None and requested_by.pk == user.pk:
            return grant  # waits for a second staff member
        return _grant_pay(grant=grant, actor=requested_by)


def grant_decide(*, grant: PointsGrant, actor, approve: bool, note: str = "") -> PointsGrant:
    """A second staff member approves or refuses a pending grant, once."""
    if actor is None or not actor.is_staff:
        raise errors.forbidden(_("Only staff decide grants."))
    if actor.pk in (grant.requested_by_id, grant.user_id):
        raise errors.forbidden(
            _("A second staff member must decide a grant to the one who asked for it.")
        )
    with transaction.atomic():
        row = PointsGrant.objects.select_for_update().filter(pk=grant.pk).first()
        if row is None or row.status != PointsGrant.Status.PENDING:
            raise errors.conflict("already_decided", _("This grant was decided already."))
        if approve:
            return _grant_pay(grant=row, actor=actor)
        PointsGrant.objects.filter(pk=row.pk, status=PointsGrant.Status.PENDING).update(
            status=PointsGrant.Status.REFUSED,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_note=text_clean(note)[:300],
        )
        row.refresh_from_db()
        return row
