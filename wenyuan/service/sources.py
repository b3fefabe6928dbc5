"""The queue's built-in sources: flagged uploads and support tickets, with their bulk
actions.  Uploads change status only through ``library.lifecycle``."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenyuan.service.errors import ServiceError
from wenyuan.service.queue import QueueFilters, QueueItem, queue_source_register

# How much each flagged signal adds to an upload's risk.
SIGNAL_RISK = {"duplicate": 5, "near_duplicate": 4, "spun": 3, "title_mismatch": 2, "junk": 2}
SIGNAL_NAMES = {
    "duplicate": gettext_lazy("duplicate"),
    "near_duplicate": gettext_lazy("near-duplicate"),
    "spun": gettext_lazy("spun text"),
    "title_mismatch": gettext_lazy("title does not match text"),
    "junk": gettext_lazy("empty or junk"),
}


def signal_evidence(signals: dict) -> list[str]:
    """One short line per flagged signal, in the reader's language."""
    lines = []
    for name, label in SIGNAL_NAMES.items():
        signal = signals.get(name) or {}
        if not isinstance(signal, dict) or not signal.get("flagged"):
            continue
        if name == "near_duplicate" and signal.get("of"):
            lines.append(f"{label} #{signal['of']} ({signal.get('similarity', 0):.2f})")
        elif name == "duplicate" and signal.get("of"):
            lines.append(f"{label} #{signal['of']}")
        elif name == "spun":
            spans = "、".join(
                f"{s.get('text')}←{s.get('original')}" if s.get("original") else str(s.get("text"))
                for s in (signal.get("spans") or [])[:4]
            )
            lines.append(f"{label} {signal.get('score', 0):.1f}" + (f": {spans}" if spans else ""))
        else:
            lines.append(str(label))
    return lines


# --- Uploads -------------------------------------------------------------------------


def _uploads_queryset():
    from wenyuan.library.models import Document, Status
    from wenyuan.service.models import UploadReview
    from wenyuan.trust.models import DocumentQuality

    kept = UploadReview.objects.filter(
        document=OuterRef("pk"), reviewed_at__gte=OuterRef("quality__computed_at")
    )
    flagged = DocumentQuality.objects.filter(document=OuterRef("pk"), flagged=True)
    return (
        Document.objects.select_related("owner", "quality")
        .annotate(is_flagged=Exists(flagged), is_kept=Exists(kept))
        .filter(
            Q(status=Status.REVIEW)
            | Q(is_flagged=True, is_kept=False, status__in=[Status.PUBLISHED, Status.PROCESSING])
        )
    )


def uploads_fetch(filters: QueueFilters) -> list[QueueItem]:
    from wenyuan.library.models import Status

    documents = _uploads_queryset()
    if filters.q:
        documents = documents.filter(title__icontains=filters.q)
    if filters.assignee:
        return []  # uploads have no handler
    items = []
    for document in documents.order_by("uploaded_at")[: filters.limit]:
        quality = getattr(document, "quality", None)
        signals = quality.signals if quality is not None else {}
        flagged = [n for n in SIGNAL_RISK if (signals.get(n) or {}).get("flagged")]
        risk = sum(SIGNAL_RISK[n] for n in flagged) + (2 if document.status == Status.REVIEW else 0)
        items.append(
            QueueItem(
                kind="upload",
                key=str(document.pk),
                title=document.title,
                url=document.get_absolute_url(),
                created_at=document.uploaded_at,
                status=document.get_status_display(),
                summary="；".join(
                    [_("uploaded by %(user)s") % {"user": document.owner.username}]
                    + signal_evidence(signals)
                ),
                risk=risk,
                tags=flagged,
            )
        )
    return items


def _documents(keys):
    from wenyuan.library.models import Document

    ids = [int(k) for k in keys if str(k).isdigit()]
    return list(Document.objects.filter(pk__in=ids))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("Give a reason for the decision."))
    return reason


def uploads_publish(keys, actor, reason) -> int:
    """Publish what waits for review; keep published flagged uploads as they are."""
    from wenyuan.library.lifecycle import LifecycleError, document_transition
    from wenyuan.library.models import Status
    from wenyuan.service.models import UploadReview

    reason = (reason or "").strip() or _("Checked by staff: kept.")
    done = 0
    for document in _documents(keys):
        if document.status == Status.REVIEW:
            try:
                document_transition(
                    document=document, to=Status.PUBLISHED, actor=actor, reason=reason
                )
            except LifecycleError:
                continue
        UploadReview.objects.update_or_create(
            document=document,
            defaults={"actor": actor, "reason": reason[:300], "reviewed_at": timezone.now()},
        )
        done += 1
    return done


def _moderate(action: str):
    def run(keys, actor, reason) -> int:
        from wenyuan.library.lifecycle import LifecycleError, document_moderate

        reason = _reason(reason)
        done = 0
        for document in _documents(keys):
            try:
                document_moderate(document=document, action=action, actor=actor, reason=reason)
            except LifecycleError:
                continue
            done += 1
        return done

    return run


# --- Tickets -------------------------------------------------------------------------


def tickets_fetch(filters: QueueFilters) -> list[QueueItem]:
    from wenyuan.service.models import Ticket, TicketStatus

    tickets = Ticket.objects.select_related("owner", "assignee").filter(
        status__in=[TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.ANSWERED]
    )
    if filters.q:
        tickets = tickets.filter(subject__icontains=filters.q)
    if filters.assignee == "me" and filters.user is not None:
        tickets = tickets.filter(assignee=filters.user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    items = []
    for ticket in tickets.order_by("created_at")[: filters.limit]:
        waiting_for_staff = ticket.status == TicketStatus.OPEN
        items.append(
            QueueItem(
                kind="ticket",
                key=str(ticket.pk),
                title=f"#{ticket.pk} {ticket.subject}",
                url=reverse("service:staff_ticket", args=[ticket.pk]),
                created_at=ticket.created_at,
                status=ticket.get_status_display(),
                summary=f"{ticket.get_category_display()} · {ticket.owner.username}",
                owner=ticket.assignee.username if ticket.assignee else "",
                due_at=ticket.due_at,
                risk=(3 if waiting_for_staff else 0) + (1 if ticket.purchase_id else 0),
                tags=[ticket.category],
            )
        )
    return items


def _tickets(keys):
    from wenyuan.service.models import Ticket

    ids = [int(k) for k in keys if str(k).isdigit()]
    return list(Ticket.objects.filter(pk__in=ids))


def tickets_take(keys, actor, reason) -> int:
    from wenyuan.service.services import ticket_assign

    for ticket in (tickets := _tickets(keys)):
        ticket_assign(ticket=ticket, user=actor, assignee=actor)
    return len(tickets)


def tickets_close(keys, actor, reason) -> int:
    from wenyuan.service.services import ticket_close

    done = 0
    for ticket in _tickets(keys):
        try:
            ticket_close(ticket=ticket, user=actor)
        except ServiceError:
            continue
        done += 1
    return done


def register() -> None:
    queue_source_register(
        "upload",
        uploads_fetch,
        label=gettext_lazy("Flagged uploads"),
        actions={
            "publish": (gettext_lazy("Publish / keep"), uploads_publish),
            "reject": (gettext_lazy("Reject"), _moderate("reject")),
            "take_down": (gettext_lazy("Take down"), _moderate("take_down")),
        },
    )
    queue_source_register(
        "ticket",
        tickets_fetch,
        label=gettext_lazy("Support tickets"),
        reason=False,
        actions={
            "take": (gettext_lazy("Assign to me"), tickets_take),
            "close": (gettext_lazy("Close"), tickets_close),
        },
    )
