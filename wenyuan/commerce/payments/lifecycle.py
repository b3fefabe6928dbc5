"""The top-up order lifecycle: which status may follow which, and who may change it.

Every status change of a ``TopupOrder`` goes through ``topup_transition`` (like the
document lifecycle, STYLE.md item 1): lock the row, check the table, write the new status
with a conditional UPDATE, append a ``TopupEvent`` with who and why, and send
``topup_status_changed`` only once the transaction commits.

    created ──provider──▶ paid ──system──▶ credited
       │ └──provider/staff──▶ failed        ▲
       └──system──▶ expired ──provider──▶ paid   (a late payment: the money was taken)

``credited`` and ``failed`` are final.  An expired order can still become paid, because
a payment the provider proves (a signed notification, a signed query answer) is money
received, and it is credited rather than kept.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from wenyuan.commerce.models import TopupActor, TopupEvent, TopupOrder, TopupStatus

CREATED, PAID, CREDITED, EXPIRED, FAILED = (
    TopupStatus.CREATED,
    TopupStatus.PAID,
    TopupStatus.CREDITED,
    TopupStatus.EXPIRED,
    TopupStatus.FAILED,
)
USER, PROVIDER, SYSTEM, STAFF = (
    TopupActor.USER,
    TopupActor.PROVIDER,
    TopupActor.SYSTEM,
    TopupActor.STAFF,
)

# (from, to) -> who may make that change.  Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (CREATED, PAID): frozenset({PROVIDER}),
    (CREATED, EXPIRED): frozenset({SYSTEM}),
    (CREATED, FAILED): frozenset({PROVIDER, STAFF}),  # the provider closed the trade unpaid
    (EXPIRED, PAID): frozenset({PROVIDER}),  # paid late: credit it, never keep the money
    (PAID, CREDITED): frozenset({SYSTEM}),
}
FINAL = frozenset({CREDITED, FAILED})

# Sent after the commit: sender=TopupOrder, order_id, old, new, event_id.
topup_status_changed = Signal()


class TopupTransitionError(Exception):
    """A status change was refused; ``code`` is stable, ``current`` the status found."""

    def __init__(self, code: str, message, *, current: str = ""):
        super().__init__(str(message))
        self.code, self.message, self.current = code, message, current


def transition_allowed(*, old: str, new: str, by: str) -> bool:
    return by in TRANSITIONS.get((old, new), frozenset())


def topup_transition(
    *,
    order: TopupOrder,
    to: str,
    by: str,
    actor=None,
    reason: str = "",
    changes: dict | None = None,
) -> TopupEvent:
    """Move ``order`` to ``to`` as ``by`` (a ``TopupActor``), logging who and why.

    ``changes`` are more fields written in the same conditional UPDATE (paid_at, the
    provider's trade number, the ledger transaction).  Raises ``TopupTransitionError``
    when the table forbids it or the order moved meanwhile; nothing is written then.
    """
    with transaction.atomic():
        old = (
            TopupOrder.objects.select_for_update()
            .filter(pk=order.pk)
            .values_list("status", flat=True)
            .first()
        )
        if old is None:
            raise TopupTransitionError("gone", _("The order no longer exists."))
        if not transition_allowed(old=old, new=to, by=by):
            raise TopupTransitionError(
                "not_allowed",
                _("A top-up that is %(status)s cannot become %(target)s.")
                % {"status": TopupStatus(old).label, "target": TopupStatus(to).label},
                current=old,
            )
        if not TopupOrder.objects.filter(pk=order.pk, status=old).update(
            status=to, **(changes or {})
        ):
            raise TopupTransitionError(
                "conflict", _("The order changed meanwhile."), current=old
            )  # pragma: no cover (the row lock prevents it)
        event = TopupEvent.objects.create(
            order_id=order.pk,
            old_status=old,
            new_status=to,
            actor=actor,
            actor_kind=by,
            reason=str(reason)[:500],
        )
        transaction.on_commit(
            lambda: topup_status_changed.send(
                sender=TopupOrder, order_id=order.pk, old=old, new=to, event_id=event.pk
            )
        )
    order.status = to
    for name, value in (changes or {}).items():
        setattr(order, name, value)
    return event


def topup_note(*, order: TopupOrder, by: str, reason: str) -> TopupEvent:
    """Log something about an order that changes nothing (a refused notification)."""
    return TopupEvent.objects.create(
        order_id=order.pk,
        old_status=order.status,
        new_status=order.status,
        actor_kind=by,
        reason=str(reason)[:500],
    )
