"""Complaints (投诉/举报): filed by signed-in readers, answered and decided by staff.

A decision is one of refund (the buyer's purchase refunded exactly, through commerce's
``purchase_refund``; refused twice), reject, take_down or hide (through the library's
``document_transition``: taken down, or sent back to review).  A takedown treats the
document's buyers as a copyright takedown does (``takedowns.takedown_buyers_apply``:
they keep access or are refunded, per ``WENYUAN_TAKEDOWN_BUYERS``).  Every step is a
``TrustEvent``; the complainant is told each answer and decision with its reason.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.models import Purchase
from wenyuan.commerce.services.refunds import purchase_refund
from wenyuan.library.lifecycle import LifecycleError, document_transition
from wenyuan.library.models import Status

from . import errors, takedowns
from .models import Complaint, ComplaintReason, DocumentQuality, TrustEvent
from .notifications import notification_send
from .throttles import complaint_rate_check

DECISIONS = tuple(Complaint.Decision.values)
TEXT_MAX = 2000


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str, *, field: str, limit: int = TEXT_MAX) -> str:
    """A person's text: control characters (NUL included) dropped, line breaks kept."""
    value = _CONTROL.sub("", unicodedata.normalize("NFC", value or "")).strip()
    if not value:
        raise errors.invalid(
            f"{field}_required", _("This field is required: %(f)s.") % {"f": field}
        )
    if len(value) > limit:
        raise errors.invalid(
            f"{field}_too_long",
            _("%(f)s is too long: at most %(n)s characters.") % {"f": field, "n": limit},
        )
    return value


def complaint_file(*, user, document_id: int, reason: str, text: str) -> Complaint:
    """A signed-in reader's complaint about a document they can see."""
    from wenyuan.library.selectors import document_get_for_user

    if user is None or not user.is_authenticated:
        raise errors.TrustError("unauthorized", _("Sign in to file a complaint."), status=401)
    document = document_get_for_user(user=user, pk=document_id)  # 404 when not visible
    if reason not in ComplaintReason.values:
        raise errors.invalid(
            "invalid_reason",
            _("Choose one of the reasons: %(reasons)s.")
            % {"reasons": ", ".join(ComplaintReason.values)},
        )
    text = _text(text, field="text")
    if document.owner_id == user.pk:
        raise errors.invalid("own_document", _("You cannot complain about your own document."))
    complaint_rate_check(user=user)
    purchase = (
        Purchase.objects.filter(buyer=user, document=document, status=Purchase.Status.PAID)
        .order_by("pk")
        .first()
    )
    flagged = DocumentQuality.objects.filter(document=document, flagged=True).exists()
    with transaction.atomic():
        complaint = Complaint.objects.create(
            document=document,
            complainant=user,
            reason=reason,
            text=text,
            purchase=purchase,
            flagged_upload=flagged,
        )
        TrustEvent.objects.create(
            complaint=complaint,
            action="filed",
            actor=user,
            reason=text,
            data={"reason": reason, "buyer": purchase is not None},
        )
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    row = Complaint.objects.select_for_update().filter(pk=complaint.pk).first()
    if row is None:
        raise errors.not_found()
    return row


def _staff(actor) -> None:
    if actor is None or not actor.is_staff:
        raise errors.forbidden(_("Only staff may handle complaints."))


def complaint_assign(*, complaint: Complaint, owner, actor) -> Complaint:
    """Give the complaint to a staff member (``owner``; None leaves it unassigned)."""
    _staff(actor)
    if owner is not None and not owner.is_staff:
        raise errors.invalid("owner_not_staff", _("A complaint can only be assigned to staff."))
    with transaction.atomic():
        row = _locked(complaint)
        row.owner = owner
        row.save(update_fields=["owner"])
        TrustEvent.objects.create(
            complaint=row,
            action="assigned",
            actor=actor,
            data={"owner": owner.username if owner else None},
        )
    complaint.refresh_from_db()
    return complaint


def complaint_answer(*, complaint: Complaint, actor, answer: str) -> Complaint:
    """Answer the complainant (they see it on their complaints page)."""
    _staff(actor)
    answer = _text(answer, field="answer")
    with transaction.atomic():
        row = _locked(complaint)
        row.answer = answer
        row.answered_at = timezone.now()
        if row.status == Complaint.Status.OPEN:
            row.status = Complaint.Status.ANSWERED
        if row.owner_id is None:
            row.owner = actor
        row.save(update_fields=["answer", "answered_at", "status", "owner"])
        TrustEvent.objects.create(complaint=row, action="answered", actor=actor, reason=answer)
        notification_send(
            user=row.complainant,
            kind="complaint_answered",
            params={"complaint": row.pk, "title": row.document.title},
            complaint=row,
        )
    complaint.refresh_from_db()
    return complaint


def complaint_decide(*, complaint: Complaint, actor, decision: str, reason: str) -> Complaint:
    """Decide a complaint with a reason the complainant sees; once."""
    _staff(actor)
    if decision not in DECISIONS:
        raise errors.invalid(
            "invalid_decision",
            _("Unknown decision %(d)s; use refund, reject, take_down or hide.") % {"d": decision},
        )
    if not (reason or "").strip():
        raise errors.reason_required()
    reason = _text(reason, field="reason")
    with transaction.atomic():
        row = _locked(complaint)
        if row.status == Complaint.Status.DECIDED:
            raise errors.conflict("already_decided", _("This complaint was decided already."))
        document = row.document
        data: dict = {"decision": decision}
        if decision == Complaint.Decision.REFUND:
            if row.purchase_id is None:
                raise errors.invalid(
                    "not_a_buyer",
                    _("The complainant did not buy this document: there is nothing to refund."),
                )
            try:
                record = purchase_refund(purchase=row.purchase, actor=actor, reason=reason)
            except CommerceError as exc:
                raise errors.TrustError(exc.code, exc.message, status=exc.status) from None
            row.refund_transaction = record
            data["refund_transaction"] = record.pk
            data["amount"] = row.purchase.price
        elif decision in (Complaint.Decision.TAKE_DOWN, Complaint.Decision.HIDE):
            target = (
                Status.TAKEN_DOWN if decision == Complaint.Decision.TAKE_DOWN else Status.REVIEW
            )
            label = _("Complaint #%(id)s: %(reason)s") % {"id": row.pk, "reason": reason}
            document.refresh_from_db(fields=["status"])
            if not (target == Status.TAKEN_DOWN and document.status == Status.TAKEN_DOWN):
                try:  # a document down already (a notice) is held by this complaint too
                    event = document_transition(
                        document=document, to=target, actor=actor, reason=label
                    )
                except LifecycleError as exc:
                    raise errors.TrustError(exc.code, exc.message, status=exc.status) from None
                data["document_event"] = event.pk
            if target == Status.TAKEN_DOWN:
                from .rules import takedown_fingerprint_ensure

                takedown_fingerprint_ensure(document=document)
                data.update(
                    takedowns.takedown_buyers_apply(
                        document=document, actor=actor, reason=label, complaint=row
                    )
                )
                row.buyers_policy = data["buyers_policy"]
            notification_send(
                user=document.owner,
                kind="document_hidden",
                params={
                    "title": document.title,
                    "decision": decision,
                    "reason": reason,
                },
                complaint=row,
            )
        row.status = Complaint.Status.DECIDED
        row.decision = decision
        row.decision_reason = reason
        row.decided_by = actor
        row.decided_at = timezone.now()
        if not row.answer:
            row.answer, row.answered_at = reason, row.decided_at
        if row.owner_id is None:
            row.owner = actor
        row.save()
        TrustEvent.objects.create(
            complaint=row, action=f"decided:{decision}", actor=actor, reason=reason, data=data
        )
        notification_send(
            user=row.complainant,
            kind="complaint_decided",
            params={
                "complaint": row.pk,
                "title": document.title,
                "decision": decision,
            },
            complaint=row,
        )
    complaint.refresh_from_db()
    return complaint


def complaints_of(*, user):
    """A reader's own complaints, newest first ("my complaints")."""
    return (
        Complaint.objects.filter(complainant=user)
        .select_related("document")
        .order_by("-created_at", "-pk")
    )
