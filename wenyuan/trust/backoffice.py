"""Trust's sources for the staff work queue (``wenyuan.service.queue``): open complaints
and copyright notices waiting for a decision, listed from ``queues.complaints_for_queue``
and ``queues.notices_for_queue``; each item links to its trust staff page.  Bulk action:
reject complaints, with the reason the complainants see."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import queues


def complaint_items(filters):
    from wenyuan.service.queue import QueueItem

    rows = queues.complaints_for_queue()
    if filters.q:
        rows = rows.filter(document__title__icontains=filters.q)
    if filters.assignee == "me" and filters.user is not None:
        rows = rows.filter(owner=filters.user)
    elif filters.assignee == "none":
        rows = rows.filter(owner=None)
    for c in rows[: filters.limit]:
        tags = [t for t, on in (("buyer", c.purchase_id), ("flagged", c.flagged_upload)) if on]
        yield QueueItem(
            kind="complaint",
            key=str(c.pk),
            title=c.document.title,
            url=reverse("trust:staff_complaint", args=[c.pk]),
            created_at=c.created_at,
            status=str(c.get_status_display()),
            summary=f"{c.get_reason_display()}: {c.text[:120]}",
            owner=c.owner.username if c.owner_id else "",
            risk=c.risk,
            tags=tags,
        )


def notice_items(filters):
    from wenyuan.service.queue import QueueItem

    rows = queues.notices_for_queue()
    if filters.q:
        rows = rows.filter(document__title__icontains=filters.q)
    for n in rows[: filters.limit]:
        yield QueueItem(
            kind="notice",
            key=str(n.pk),
            title=n.document.title,
            url=reverse("trust:staff_notice", args=[n.pk]),
            created_at=n.created_at,
            status=str(n.get_status_display()),
            summary=f"{n.claimant}: {n.work[:120]}",
            risk=2,
        )


def complaints_reject(keys, actor, reason) -> int:
    from wenyuan.service.errors import ServiceError

    from .complaints import complaint_decide
    from .errors import TrustError
    from .models import Complaint

    done = 0
    for complaint in Complaint.objects.filter(pk__in=[int(k) for k in keys if k.isdigit()]):
        try:
            complaint_decide(complaint=complaint, actor=actor, decision="reject", reason=reason)
        except TrustError as exc:
            raise ServiceError(exc.code, exc.message, status=exc.status) from None
        done += 1
    return done


def register() -> None:
    try:
        from wenyuan.service.queue import queue_source_register
    except ImportError:  # no backoffice on this site
        return
    queue_source_register(
        "complaint",
        complaint_items,
        label=_("Complaints"),
        actions={"reject": (_("Reject"), complaints_reject)},
    )
    queue_source_register("notice", notice_items, label=_("Copyright notices"), actions={})
