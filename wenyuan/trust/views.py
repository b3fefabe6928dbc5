"""Trust's pages: the complaint form, my complaints, notifications and counter-notices,
the public copyright notice form, and the staff pages (queue, cases, sanctions).

Views stay thin: every action goes to the same service as the API's.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wenyuan.accounts.counters import RateLimited

from . import complaints as complaint_services
from . import notices as notice_services
from . import queues, sanctions
from .errors import TrustError
from .models import Complaint, ComplaintReason, CopyrightNotice, Sanction, SanctionKind
from .notifications import notification_text, notifications_mark_read, notifications_of
from .throttles import notice_address


@login_required
@require_POST
def complaint_create(request, pk):
    try:
        complaint = complaint_services.complaint_file(
            user=request.user,
            document_id=pk,
            reason=request.POST.get("reason", ""),
            text=request.POST.get("text", ""),
        )
    except (TrustError, RateLimited) as exc:
        messages.error(request, str(exc.message))
        return redirect("library:document", pk=pk)
    messages.success(
        request,
        _("Your complaint #%(id)s was received. Staff will answer it here.") % {"id": complaint.pk},
    )
    return redirect("trust:my_complaints")


@login_required
def my_complaints(request):
    rows = complaint_services.complaints_of(user=request.user)[:200]
    return render(request, "trust/my_complaints.html", {"complaints": rows})


@login_required
def notifications(request):
    rows = list(notifications_of(user=request.user)[:200])
    items = [(n, notification_text(n)) for n in rows]
    taken_down = notice_services.notices_for_uploader(user=request.user)
    response = render(request, "trust/notifications.html", {"items": items, "notices": taken_down})
    notifications_mark_read(user=request.user)
    return response


@login_required
@require_POST
def counter_create(request, notice_id):
    notice = get_object_or_404(CopyrightNotice.objects.select_related("document"), pk=notice_id)
    try:
        notice_services.counter_notice_file(
            notice=notice, user=request.user, text=request.POST.get("text", "")
        )
    except TrustError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your counter-notice was received; staff will decide it."))
    return redirect("trust:notifications")


_NOTICE_FIELDS = ("document_id", "claimant", "contact", "work", "evidence")


def notice_new(request):
    """The public copyright notice form (通知—删除): no account needed."""
    values = {name: request.POST.get(name, "") for name in _NOTICE_FIELDS}
    if request.method == "GET":
        values["document_id"] = request.GET.get("document", "")
    error = None
    if request.method == "POST":
        try:
            document_id = int(values["document_id"])
        except ValueError:
            error = _("Give the number of the document (the number in its address /d/…/).")
        else:
            try:
                notice = notice_services.notice_file(
                    document_id=document_id,
                    claimant=values["claimant"],
                    contact=values["contact"],
                    work=values["work"],
                    evidence=values["evidence"],
                    address=notice_address(request),
                )
            except (TrustError, RateLimited) as exc:
                error = str(exc.message)
            else:
                return render(request, "trust/notice_sent.html", {"notice": notice})
    return render(
        request,
        "trust/notice_new.html",
        {"values": values, "error": error},
        status=400 if error else 200,
    )


# --- staff --------------------------------------------------------------------------------


@staff_member_required
def staff_queue(request):
    context = {
        "complaints": queues.complaints_for_queue()[:200],
        "notices": queues.notices_for_queue()[:200],
        "uploaders": queues.complaint_rates_by_uploader(limit=50),
    }
    return render(request, "trust/staff_queue.html", context)


def _staff_action(request, call) -> None:
    try:
        call()
    except TrustError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Done."))


@staff_member_required
def staff_complaint(request, complaint_id):
    complaint = get_object_or_404(
        Complaint.objects.select_related("document", "complainant", "owner", "purchase"),
        pk=complaint_id,
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "assign":
            name = request.POST.get("owner", "").strip()
            owner = get_user_model().objects.filter(username=name).first() if name else None
            if name and owner is None:
                messages.error(request, _("There is no such user."))
            else:
                _staff_action(
                    request,
                    lambda: complaint_services.complaint_assign(
                        complaint=complaint, owner=owner, actor=request.user
                    ),
                )
        elif action == "answer":
            _staff_action(
                request,
                lambda: complaint_services.complaint_answer(
                    complaint=complaint, actor=request.user, answer=request.POST.get("answer", "")
                ),
            )
        elif action == "decide":
            _staff_action(
                request,
                lambda: complaint_services.complaint_decide(
                    complaint=complaint,
                    actor=request.user,
                    decision=request.POST.get("decision", ""),
                    reason=request.POST.get("reason", ""),
                ),
            )
        else:
            raise Http404
        return redirect("trust:staff_complaint", complaint_id=complaint.pk)
    context = {
        "complaint": complaint,
        "events": complaint.events.select_related("actor"),
        "rates": queues.complaint_rate_document(document_id=complaint.document_id),
        "uploader_flagged": queues.uploader_flagged(user=complaint.document.owner),
        "decisions": Complaint.Decision.choices,
        "reasons": dict(ComplaintReason.choices),
    }
    return render(request, "trust/staff_complaint.html", context)


@staff_member_required
def staff_notice(request, notice_id):
    notice = get_object_or_404(CopyrightNotice.objects.select_related("document"), pk=notice_id)
    if request.method == "POST":
        _staff_action(
            request,
            lambda: notice_services.notice_decide(
                notice=notice,
                actor=request.user,
                decision=request.POST.get("decision", ""),
                reason=request.POST.get("reason", ""),
            ),
        )
        return redirect("trust:staff_notice", notice_id=notice.pk)
    from wenyuan.library.models import Status

    from .takedowns import hold_label, takedown_holds

    down = notice.document.status == Status.TAKEN_DOWN
    context = {
        "notice": notice,
        "counters": notice.counter_notices.order_by("pk"),
        "events": notice.events.select_related("actor"),
        # What else keeps the document down (reinstating this notice will not bring it back).
        "holds": [hold_label(h) for h in takedown_holds(document=notice.document, notice=notice)]
        if down
        else [],
    }
    return render(request, "trust/staff_notice.html", context)


@staff_member_required
def staff_sanctions(request):
    if request.method == "POST":
        if request.POST.get("action") == "lift":
            sanction = get_object_or_404(Sanction, pk=request.POST.get("sanction", 0))
            _staff_action(
                request,
                lambda: sanctions.sanction_lift(
                    sanction=sanction, actor=request.user, reason=request.POST.get("reason", "")
                ),
            )
        else:
            user = (
                get_user_model().objects.filter(username=request.POST.get("username", "")).first()
            )
            days_raw = request.POST.get("days", "").strip()
            if user is None:
                messages.error(request, _("There is no such user."))
            elif days_raw and not days_raw.isdigit():
                messages.error(request, _("Give a whole number of days, at least 1."))
            else:
                _staff_action(
                    request,
                    lambda: sanctions.sanction_impose(
                        user=user,
                        kind=request.POST.get("kind", ""),
                        reason=request.POST.get("reason", ""),
                        actor=request.user,
                        days=int(days_raw) if days_raw else None,
                    ),
                )
        return redirect("trust:staff_sanctions")
    context = {"sanctions": sanctions.sanctions_list()[:300], "kinds": SanctionKind.choices}
    return render(request, "trust/staff_sanctions.html", context)
