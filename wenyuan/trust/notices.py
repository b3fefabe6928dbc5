"""Copyright notices (通知—删除) and counter-notices (反通知).

A rights holder files a notice without an account.  Staff decide it: ``take_down`` (the
document is taken down through ``document_transition``; buyers keep access or are
refunded, per ``WENYUAN_TAKEDOWN_BUYERS``, through ``takedowns.takedown_buyers_apply``,
recorded on the notice; the uploader is told), or ``reject``.  The uploader may then file
a counter-notice; staff ``reinstate`` (the document goes back to the readers unless
``takedowns.takedown_holds`` finds something else keeping it down: another notice, a
complaint, a staff decision) or ``reject`` it.  Every step is a ``TrustEvent``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wenyuan.library.lifecycle import LifecycleError, document_transition, moderation_target
from wenyuan.library.models import Document, Status

from . import errors, takedowns
from .complaints import _text
from .models import CopyrightNotice, CounterNotice, TrustEvent
from .notifications import notification_send
from .throttles import notice_rate_check

DECISIONS = ("take_down", "reject", "reinstate")


def notice_file(
    *, document_id: int, claimant: str, contact: str, work: str, evidence: str, address: str = ""
) -> CopyrightNotice:
    """A rights holder's notice about a published document (no account needed)."""
    document = Document.objects.filter(pk=document_id, status=Status.PUBLISHED).first()
    if document is None:
        raise errors.TrustError(
            "document_not_found", _("There is no published document with this number."), status=404
        )
    fields = {
        "claimant": _text(claimant, field="claimant", limit=200),
        "contact": _text(contact, field="contact", limit=300),
        "work": _text(work, field="work"),
        "evidence": _text(evidence, field="evidence", limit=5000),
    }
    notice_rate_check(address=address)
    with transaction.atomic():
        notice = CopyrightNotice.objects.create(document=document, address=address[:64], **fields)
        TrustEvent.objects.create(
            notice=notice,
            action="filed",
            actor_label=fields["claimant"],
            reason=fields["work"],
            data={"contact": fields["contact"], "address": address},
        )
    return notice


def _transition(document: Document, to: str, actor, reason: str):
    try:
        return document_transition(document=document, to=to, actor=actor, reason=reason)
    except LifecycleError as exc:
        raise errors.TrustError(exc.code, exc.message, status=exc.status) from None


def notice_decide(*, notice: CopyrightNotice, actor, decision: str, reason: str) -> CopyrightNotice:
    """Staff decide a notice (take_down, reject) or its counter-notice (reinstate, reject)."""
    if actor is None or not actor.is_staff:
        raise errors.forbidden(_("Only staff may decide copyright notices."))
    if decision not in DECISIONS:
        raise errors.invalid(
            "invalid_decision",
            _("Unknown decision %(d)s; use take_down, reject or reinstate.") % {"d": decision},
        )
    if not (reason or "").strip():
        raise errors.reason_required()
    reason = _text(reason, field="reason")
    with transaction.atomic():
        row = CopyrightNotice.objects.select_for_update().filter(pk=notice.pk).first()
        if row is None:
            raise errors.not_found()
        document = row.document
        counter = row.counter_notices.filter(status=CounterNotice.Status.PENDING).first()
        data: dict = {}
        now = timezone.now()
        label = _("Copyright notice #%(id)s: %(reason)s") % {"id": row.pk, "reason": reason}
        if decision == "take_down":
            if row.status != CopyrightNotice.Status.RECEIVED:
                raise errors.conflict("already_decided", _("This notice was decided already."))
            document.refresh_from_db(fields=["status"])
            if document.status != Status.TAKEN_DOWN:
                event = _transition(document, Status.TAKEN_DOWN, actor, label)
                data["document_event"] = event.pk
            from .rules import takedown_fingerprint_ensure

            takedown_fingerprint_ensure(document=document)
            data.update(
                takedowns.takedown_buyers_apply(
                    document=document, actor=actor, reason=label, notice=row
                )
            )
            row.buyers_policy = data["buyers_policy"]
            row.status = CopyrightNotice.Status.TAKEN_DOWN
            notification_send(
                user=document.owner,
                kind="document_taken_down",
                params={"title": document.title, "notice": row.pk, "reason": reason},
                notice=row,
            )
            action = "taken_down"
        elif decision == "reject":
            if row.status == CopyrightNotice.Status.RECEIVED:
                row.status = CopyrightNotice.Status.REJECTED
                action = "rejected"
            elif row.status == CopyrightNotice.Status.TAKEN_DOWN and counter is not None:
                _counter_close(counter, CounterNotice.Status.REJECTED, actor, reason, now)
                notification_send(
                    user=document.owner,
                    kind="counter_notice_rejected",
                    params={"title": document.title, "reason": reason},
                    notice=row,
                )
                action = "counter_rejected"
                data["counter_notice"] = counter.pk
            else:
                raise errors.conflict(
                    "nothing_to_reject",
                    _("There is neither a new notice nor a pending counter-notice to reject."),
                )
        else:  # reinstate
            if row.status != CopyrightNotice.Status.TAKEN_DOWN:
                raise errors.conflict(
                    "not_taken_down",
                    _("Only a document taken down by this notice can be reinstated."),
                )
            document.refresh_from_db(fields=["status", "asset_key", "pages"])
            hidden = document.status in (Status.TAKEN_DOWN, Status.REJECTED)
            holds = takedowns.takedown_holds(document=document, notice=row) if hidden else []
            if document.status == Status.TAKEN_DOWN and not holds:
                target = moderation_target(document=document, action="restore")
                data["document_event"] = _transition(document, target, actor, label).pk
            if counter is not None:
                _counter_close(counter, CounterNotice.Status.UPHELD, actor, reason, now)
                data["counter_notice"] = counter.pk
            row.status = CopyrightNotice.Status.REINSTATED
            if holds:
                data["held_by"] = holds
            notification_send(
                user=document.owner,
                kind="document_still_down" if holds else "document_reinstated",
                params={"title": document.title, "reason": reason},
                notice=row,
            )
            action = "reinstated"
        row.decided_by, row.decided_at, row.decision_reason = actor, now, reason
        row.save()
        TrustEvent.objects.create(notice=row, action=action, actor=actor, reason=reason, data=data)
    notice.refresh_from_db()
    return notice


def _counter_close(counter: CounterNotice, status: str, actor, reason: str, now) -> None:
    counter.status = status
    counter.decided_by, counter.decided_at, counter.decision_reason = actor, now, reason
    counter.save()


def counter_notice_file(*, notice: CopyrightNotice, user, text: str) -> CounterNotice:
    """The uploader answers a takedown of their document (one pending at a time)."""
    if user is None or not user.is_authenticated or user.pk != notice.document.owner_id:
        raise errors.forbidden(_("Only the document's uploader may file a counter-notice."))
    text = _text(text, field="text", limit=5000)
    with transaction.atomic():
        row = CopyrightNotice.objects.select_for_update().filter(pk=notice.pk).first()
        if row is None:
            raise errors.not_found()
        if row.status != CopyrightNotice.Status.TAKEN_DOWN:
            raise errors.conflict(
                "not_taken_down",
                _("A counter-notice answers a takedown; this notice took nothing down."),
            )
        if row.counter_notices.filter(status=CounterNotice.Status.PENDING).exists():
            raise errors.conflict(
                "counter_pending", _("Your counter-notice is already waiting for a decision.")
            )
        counter = CounterNotice.objects.create(notice=row, uploader=user, text=text)
        TrustEvent.objects.create(
            notice=row,
            action="counter_filed",
            actor=user,
            reason=text,
            data={"counter": counter.pk},
        )
    return counter


def notices_for_uploader(*, user):
    """Notices that took down this user's documents, newest first."""
    return (
        CopyrightNotice.objects.filter(document__owner=user)
        .exclude(status=CopyrightNotice.Status.RECEIVED)
        .select_related("document")
        .prefetch_related("counter_notices")
        .order_by("-created_at", "-pk")
    )
