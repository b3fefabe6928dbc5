"""Trust's part of the JSON API: complaints, copyright notices, notifications, sanctions.

Readers (bearer token):  POST /api/documents/{id}/complaints, GET /api/me/complaints,
GET /api/me/notifications, POST /api/notices/{id}/counter.
Anyone (no account):     POST /api/notices.
Staff (/api/staff/...):  complaints queue, assign, answer, decide; notices and their
decisions; sanctions imposed and lifted.  Every call goes to the same services as the pages.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.http import Http404
from ninja import Field, Router, Schema
from ninja import Status as Reply

from . import complaints as complaint_services
from . import notices as notice_services
from . import queues, sanctions
from .models import Complaint, CopyrightNotice, Sanction
from .notifications import notification_text, notifications_of
from .throttles import notice_address


class TrustErrorBody(Schema):
    code: str
    message: str


class TrustErrorOut(Schema):
    error: TrustErrorBody


# Every refusal is {"error": {code, message}}: bad input, signed out, not allowed, not
# found, a conflict (decided already), an invalid body, a rate limit.
ERRORS = {code: TrustErrorOut for code in (400, 401, 403, 404, 409, 415, 422, 429)}

router = Router(tags=["trust"])  # signed-in readers (the bearer is set on mounting)
public = Router(tags=["trust"])  # no account needed
staff = Router(tags=["staff"])  # mounted under /staff with the staff bearer


class ComplaintIn(Schema):
    reason: str = Field(description="mismatch | incomplete | copyright | illegal | spam | other")
    text: str = Field(max_length=4000)


class Created(Schema):
    id: int
    status: str


class ComplaintOut(Schema):
    id: int
    document_id: int
    document_title: str
    reason: str
    text: str
    status: str
    buyer: bool
    answer: str
    decision: str
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None


class StaffComplaintOut(ComplaintOut):
    complainant: str
    owner: str | None
    risk: int
    flagged_upload: bool
    document_complaints: int
    buyers_policy: str


class NoticeIn(Schema):
    document_id: int
    claimant: str = Field(max_length=400)
    contact: str = Field(max_length=600)
    work: str = Field(max_length=4000)
    evidence: str = Field(max_length=10000)


class CounterIn(Schema):
    text: str = Field(max_length=10000)


class NoticeOut(Schema):
    id: int
    document_id: int
    claimant: str
    contact: str
    work: str
    evidence: str
    status: str
    buyers_policy: str
    decision_reason: str
    counter_notices: list[dict]
    events: list[dict]
    created_at: datetime


class DecideIn(Schema):
    decision: str
    reason: str = Field("", max_length=4000)


class AssignIn(Schema):
    owner: str | None = Field(None, description="A staff user name; null unassigns.")


class AnswerIn(Schema):
    answer: str = Field(max_length=4000)


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    notice_id: int | None
    complaint_id: int | None
    created_at: datetime
    read: bool


class SanctionIn(Schema):
    username: str
    kind: str = Field(description="upload | comment | download | login")
    reason: str = Field(max_length=4000)
    days: int | None = Field(None, ge=1, le=36500, description="For how many days; omit for good.")


class LiftIn(Schema):
    reason: str = Field(max_length=4000)


class SanctionOut(Schema):
    id: int
    username: str
    kind: str
    reason: str
    starts_at: datetime
    ends_at: datetime | None
    lifted_at: datetime | None
    active: bool
    created_by: str | None


def _complaint(c: Complaint) -> dict:
    return {
        "id": c.pk,
        "document_id": c.document_id,
        "document_title": c.document.title,
        "reason": c.reason,
        "text": c.text,
        "status": c.status,
        "buyer": c.purchase_id is not None,
        "answer": c.answer,
        "decision": c.decision,
        "decision_reason": c.decision_reason,
        "created_at": c.created_at,
        "decided_at": c.decided_at,
    }


def _staff_complaint(c: Complaint) -> dict:
    return {
        **_complaint(c),
        "complainant": c.complainant.username,
        "owner": c.owner.username if c.owner_id else None,
        "risk": getattr(c, "risk", 0),
        "flagged_upload": c.flagged_upload,
        "document_complaints": getattr(c, "document_complaints", 0),
        "buyers_policy": c.buyers_policy,
    }


def _notice(n: CopyrightNotice) -> dict:
    return {
        "id": n.pk,
        "document_id": n.document_id,
        "claimant": n.claimant,
        "contact": n.contact,
        "work": n.work,
        "evidence": n.evidence,
        "status": n.status,
        "buyers_policy": n.buyers_policy,
        "decision_reason": n.decision_reason,
        "counter_notices": [
            {"id": c.pk, "text": c.text, "status": c.status, "decision_reason": c.decision_reason}
            for c in n.counter_notices.order_by("pk")
        ],
        "events": [
            {
                "action": e.action,
                "actor": e.actor.username if e.actor_id else e.actor_label,
                "reason": e.reason,
                "at": e.created_at.isoformat(),
            }
            for e in n.events.select_related("actor")
        ],
        "created_at": n.created_at,
    }


def _sanction(s: Sanction) -> dict:
    from django.utils import timezone

    return {
        "id": s.pk,
        "username": s.user.username,
        "kind": s.kind,
        "reason": s.reason,
        "starts_at": s.starts_at,
        "ends_at": s.ends_at,
        "lifted_at": s.lifted_at,
        "active": s.active_at(timezone.now()),
        "created_by": s.created_by.username if s.created_by_id else None,
    }


# --- readers --------------------------------------------------------------------------


@router.post("/documents/{int:document_id}/complaints", response={201: Created, **ERRORS})
def complaint_create(request, document_id: int, payload: ComplaintIn):
    """File a complaint (投诉/举报) about a document you can see; rate-limited."""
    complaint = complaint_services.complaint_file(
        user=request.auth, document_id=document_id, reason=payload.reason, text=payload.text
    )
    return Reply(201, {"id": complaint.pk, "status": complaint.status})


@router.get("/me/complaints", response={200: list[ComplaintOut], **ERRORS})
def my_complaints(request):
    """Your complaints, newest first, with the staff's answer and decision."""
    return [_complaint(c) for c in complaint_services.complaints_of(user=request.auth)[:200]]


@router.get("/me/notifications", response={200: list[NotificationOut], **ERRORS})
def my_notifications(request):
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "text": notification_text(n),
            "notice_id": n.notice_id,
            "complaint_id": n.complaint_id,
            "created_at": n.created_at,
            "read": n.read_at is not None,
        }
        for n in notifications_of(user=request.auth)[:200]
    ]


@router.post("/notices/{int:notice_id}/counter", response={201: Created, **ERRORS})
def counter_create(request, notice_id: int, payload: CounterIn):
    """The uploader's counter-notice (反通知) to a takedown of their document."""
    notice = CopyrightNotice.objects.filter(pk=notice_id).select_related("document").first()
    if notice is None:
        raise Http404
    counter = notice_services.counter_notice_file(
        notice=notice, user=request.auth, text=payload.text
    )
    return Reply(201, {"id": counter.pk, "status": counter.status})


# --- anyone -----------------------------------------------------------------------------


@public.post("/notices", response={201: Created, **ERRORS})
def notice_create(request, payload: NoticeIn):
    """A copyright notice (通知—删除) about a published document; no account needed,
    rate-limited per client address."""
    notice = notice_services.notice_file(
        document_id=payload.document_id,
        claimant=payload.claimant,
        contact=payload.contact,
        work=payload.work,
        evidence=payload.evidence,
        address=notice_address(request),
    )
    return Reply(201, {"id": notice.pk, "status": notice.status})


# --- staff ------------------------------------------------------------------------------


def _user_named(name: str):
    """The user of this name, else 404 (a name with a NUL cannot exist: PostgreSQL would
    refuse the query)."""
    found = None if "\x00" in name else get_user_model().objects.filter(username=name).first()
    if found is None:
        raise Http404
    return found


def _complaint_get(complaint_id: int) -> Complaint:
    found = Complaint.objects.filter(pk=complaint_id).select_related("document").first()
    if found is None:
        raise Http404
    return found


@staff.get("/complaints", response={200: list[StaffComplaintOut], **ERRORS})
def complaints_queue(request, open_only: bool = True):
    """The complaints queue: a buyer's complaint, several on one document and flagged
    uploads first, then the oldest."""
    rows = queues.complaints_for_queue(open_only=open_only)[:200]
    return [_staff_complaint(c) for c in rows]


@staff.post("/complaints/{int:complaint_id}/assign", response={200: StaffComplaintOut, **ERRORS})
def complaint_assign(request, complaint_id: int, payload: AssignIn):
    owner = _user_named(payload.owner) if payload.owner else None
    complaint = complaint_services.complaint_assign(
        complaint=_complaint_get(complaint_id), owner=owner, actor=request.auth
    )
    return _staff_complaint(complaint)


@staff.post("/complaints/{int:complaint_id}/answer", response={200: StaffComplaintOut, **ERRORS})
def complaint_answer(request, complaint_id: int, payload: AnswerIn):
    complaint = complaint_services.complaint_answer(
        complaint=_complaint_get(complaint_id), actor=request.auth, answer=payload.answer
    )
    return _staff_complaint(complaint)


@staff.post("/complaints/{int:complaint_id}/decide", response={200: StaffComplaintOut, **ERRORS})
def complaint_decide(request, complaint_id: int, payload: DecideIn):
    """Decide: refund (an exact ledger refund of the complainant's purchase; refused
    twice), reject, take_down or hide, with a reason the complainant sees."""
    complaint = complaint_services.complaint_decide(
        complaint=_complaint_get(complaint_id),
        actor=request.auth,
        decision=payload.decision,
        reason=payload.reason,
    )
    return _staff_complaint(complaint)


@staff.get("/notices", response={200: list[NoticeOut], **ERRORS})
def notices_queue(request, open_only: bool = True):
    return [_notice(n) for n in queues.notices_for_queue(open_only=open_only)[:200]]


@staff.post("/notices/{int:notice_id}/decide", response={200: NoticeOut, **ERRORS})
def notice_decide(request, notice_id: int, payload: DecideIn):
    """take_down or reject a new notice; reinstate or reject after a counter-notice."""
    notice = CopyrightNotice.objects.filter(pk=notice_id).first()
    if notice is None:
        raise Http404
    notice = notice_services.notice_decide(
        notice=notice, actor=request.auth, decision=payload.decision, reason=payload.reason
    )
    return _notice(notice)


@staff.get("/sanctions", response={200: list[SanctionOut], **ERRORS})
def sanctions_list(request, active_only: bool = False):
    return [_sanction(s) for s in sanctions.sanctions_list(active_only=active_only)[:500]]


@staff.post("/sanctions", response={201: SanctionOut, **ERRORS})
def sanction_create(request, payload: SanctionIn):
    user = _user_named(payload.username)
    sanction = sanctions.sanction_impose(
        user=user,
        kind=payload.kind,
        reason=payload.reason,
        actor=request.auth,
        days=payload.days,
    )
    return Reply(201, _sanction(sanction))


@staff.post("/sanctions/{int:sanction_id}/lift", response={200: SanctionOut, **ERRORS})
def sanction_lift(request, sanction_id: int, payload: LiftIn):
    sanction = Sanction.objects.filter(pk=sanction_id).select_related("user").first()
    if sanction is None:
        raise Http404
    return _sanction(
        sanctions.sanction_lift(sanction=sanction, actor=request.auth, reason=payload.reason)
    )


def register(api, *, bearer, staff_bearer) -> None:
    """Mount the routers and the error handler on the API."""
    from wenyuan.api.api import ApiError

    from .errors import TrustError

    api.add_router("", router, auth=bearer)
    api.add_router("", public)
    api.add_router("/staff", staff, auth=staff_bearer)

    @api.exception_handler(TrustError)
    def _trust_error(request, exc: TrustError):
        return api.on_exception(request, ApiError(exc.status, exc.code, str(exc.message)))
