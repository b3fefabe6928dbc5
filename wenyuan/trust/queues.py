"""Plain selectors for staff pages and any backoffice: queues, rates, flags.

``complaints_for_queue()`` orders by risk, then age (oldest first).  Risk adds up:
a buyer's complaint (3), a document with several open complaints (1 for each other one,
at most 5), a flagged upload (2).  Complaint rates: complaints per document, and per
uploader the share of their documents complained about and the upheld complaints; an
uploader at ``WENYUAN_UPHELD_FLAG_AT`` upheld complaints or more is flagged.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Least

from wenyuan.core.sitesettings import setting_value

from .models import Complaint, CopyrightNotice, CounterNotice

_OPEN = [Complaint.Status.OPEN, Complaint.Status.ANSWERED]


def _open_on_document():
    return Coalesce(
        Subquery(
            Complaint.objects.filter(document_id=OuterRef("document_id"), status__in=_OPEN)
            .values("document_id")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def complaints_for_queue(*, open_only: bool = True, owner=None):
    """Complaints, riskiest and then oldest first, each with ``risk`` and
    ``document_complaints`` (open complaints on its document)."""
    rows = Complaint.objects.select_related("document", "document__owner", "complainant", "owner")
    if open_only:
        rows = rows.filter(status__in=_OPEN)
    if owner is not None:
        rows = rows.filter(owner=owner)
    rows = rows.annotate(document_complaints=_open_on_document())
    buyer = Case(When(purchase__isnull=False, then=Value(3)), default=Value(0))
    flagged = Case(When(flagged_upload=True, then=Value(2)), default=Value(0))
    several = Case(
        When(document_complaints__gt=1, then=Least("document_complaints", Value(6)) - Value(1)),
        default=Value(0),
    )
    return rows.annotate(
        risk=buyer + flagged + several,
    ).order_by("-risk", "created_at", "pk")


def notices_for_queue(*, open_only: bool = True):
    """Copyright notices waiting for staff: new ones, and takedowns with a pending
    counter-notice; oldest first."""
    rows = CopyrightNotice.objects.select_related("document", "document__owner")
    if open_only:
        pending = CounterNotice.objects.filter(
            notice_id=OuterRef("pk"), status=CounterNotice.Status.PENDING
        )
        rows = rows.filter(
            Q(status=CopyrightNotice.Status.RECEIVED)
            | Q(
                status=CopyrightNotice.Status.TAKEN_DOWN,
                pk__in=Subquery(pending.values("notice_id")),
            )
        )
    return rows.order_by("created_at", "pk")


def complaint_rate_document(*, document_id: int) -> dict:
    counts = Complaint.objects.filter(document_id=document_id).aggregate(
        complaints=Count("pk"),
        open=Count("pk", filter=Q(status__in=_OPEN)),
        upheld=Count("pk", filter=Q(decision__in=Complaint.UPHELD)),
    )
    from wenyuan.library.models import Document

    document = Document.objects.filter(pk=document_id).values("downloads", "views").first() or {}
    views = document.get("views") or 0
    counts["per_1000_views"] = round(1000 * counts["complaints"] / views, 1) if views else None
    return counts


def complaint_rates_by_uploader(*, limit: int = 100) -> list[dict]:
    """Uploaders whose documents drew complaints, most upheld first, with ``flagged``."""
    from wenyuan.library.models import Document

    rows = (
        Complaint.objects.values("document__owner_id", "document__owner__username")
        .annotate(
            complaints=Count("pk"),
            documents_complained=Count("document_id", distinct=True),
            upheld=Count("pk", filter=Q(decision__in=Complaint.UPHELD)),
        )
        .order_by("-upheld", "-complaints", "document__owner_id")[:limit]
    )
    owners = [r["document__owner_id"] for r in rows]
    documents = dict(
        Document.objects.filter(owner_id__in=owners)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    flag_at = setting_value("WENYUAN_UPHELD_FLAG_AT")
    return [
        {
            "user_id": r["document__owner_id"],
            "username": r["document__owner__username"],
            "documents": documents.get(r["document__owner_id"], 0),
            "documents_complained": r["documents_complained"],
            "complaints": r["complaints"],
            "upheld": r["upheld"],
            "complaint_rate": round(
                r["documents_complained"] / max(documents.get(r["document__owner_id"], 0), 1), 3
            ),
            "flagged": r["upheld"] >= flag_at,
        }
        for r in rows
    ]


def uploader_flagged(*, user) -> bool:
    """Has this uploader's documents drawn ``WENYUAN_UPHELD_FLAG_AT`` upheld complaints?"""
    upheld = Complaint.objects.filter(document__owner=user, decision__in=Complaint.UPHELD).count()
    return upheld >= setting_value("WENYUAN_UPHELD_FLAG_AT")
