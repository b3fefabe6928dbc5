"""Takedowns, whatever took the document down: what buyers keep, and what keeps it down.

- ``takedown_buyers_apply`` is the one function deciding what a takedown does for the
  document's buyers, per ``WENYUAN_TAKEDOWN_BUYERS``: ``keep`` (their purchase still lets
  them read and download it; the keep rule ``documents_kept_by_buyers`` answers for it)
  or ``refund`` (every paid purchase refunded in full through commerce's
  ``purchase_refund``, each buyer told).  A copyright notice's takedown and a complaint's
  both call it and record the policy applied on their own row.
- ``takedown_holds`` is the one function deciding whether a taken-down document may come
  back: it lists what still keeps it down since it was last published (or restored):
  another notice that took it down, a complaint decided ``take_down`` or ``hide``, a
  staff rejection or takedown made outside trust (admin, shell, API, a publish policy).
  Reinstating after a counter-notice republishes the document only when nothing else
  holds it.
"""

from __future__ import annotations

from django.db.models import Q

from wenyuan.commerce.errors import CommerceError
from wenyuan.commerce.models import Purchase
from wenyuan.commerce.services.refunds import purchase_refund
from wenyuan.core.sitesettings import setting_value
from wenyuan.library.models import Document, DocumentEvent, Status

from .models import Complaint, CopyrightNotice, TrustEvent
from .notifications import notification_send

POLICIES = ("keep", "refund")


def takedown_buyers_apply(
    *, document: Document, actor, reason: str, notice=None, complaint=None
) -> dict:
    """Apply the buyers' policy to a document just taken down; returns what was done:
    ``{"buyers_policy": "keep"|"refund", "refunds": [ledger transaction ids]}``."""
    policy = setting_value("WENYUAN_TAKEDOWN_BUYERS")
    if policy not in POLICIES:  # config validates it; never refund by accident
        raise ValueError(f"WENYUAN_TAKEDOWN_BUYERS must be keep or refund, not {policy!r}")
    done: dict = {"buyers_policy": policy}
    if policy != "refund":
        return done
    refunded = []
    purchases = Purchase.objects.filter(document=document, status=Purchase.Status.PAID)
    for purchase in purchases.select_related("buyer").order_by("pk"):
        try:
            record = purchase_refund(purchase=purchase, actor=actor, reason=reason)
        except CommerceError as exc:  # refunded meanwhile: nothing left to do for it
            if exc.code == "already_refunded":
                continue
            raise
        refunded.append(record.pk)
        notification_send(
            user=purchase.buyer,
            kind="purchase_refunded",
            params={"title": document.title, "amount": purchase.price},
            notice=notice,
            complaint=complaint,
        )
    done["refunds"] = refunded
    return done


def _since(document_id: int) -> DocumentEvent | None:
    """The document's last publication or restore: holds older than it were lifted."""
    return (
        DocumentEvent.objects.filter(document_id=document_id)
        .filter(
            Q(new_status=Status.PUBLISHED)
            | Q(new_status=Status.PROCESSING, old_status__in=(Status.TAKEN_DOWN, Status.REJECTED))
        )
        .order_by("-pk")
        .first()
    )


def takedown_holds(*, document: Document, notice=None, complaint=None) -> list[str]:
    """What keeps ``document`` down, besides ``notice`` or ``complaint`` (the case being
    reinstated): ``["notice:7", "complaint:3", "staff:1042"]`` (the last one a
    ``DocumentEvent`` id); empty when it may come back."""
    since = _since(document.pk)
    after = {"decided_at__gt": since.created_at} if since else {}
    holds = [
        f"notice:{pk}"
        for pk in CopyrightNotice.objects.filter(
            document_id=document.pk, status=CopyrightNotice.Status.TAKEN_DOWN, **after
        )
        .exclude(pk=getattr(notice, "pk", None))
        .order_by("pk")
        .values_list("pk", flat=True)
    ]
    holds += [
        f"complaint:{pk}"
        for pk in Complaint.objects.filter(
            document_id=document.pk,
            status=Complaint.Status.DECIDED,
            decision__in=(Complaint.Decision.TAKE_DOWN, Complaint.Decision.HIDE),
            **after,
        )
        .exclude(pk=getattr(complaint, "pk", None))
        .order_by("pk")
        .values_list("pk", flat=True)
    ]
    ours = {
        int(value)
        for value in TrustEvent.objects.filter(
            Q(notice__document_id=document.pk) | Q(complaint__document_id=document.pk)
        ).values_list("data__document_event", flat=True)
        if value is not None
    }
    staff = DocumentEvent.objects.filter(
        document_id=document.pk, new_status__in=(Status.TAKEN_DOWN, Status.REJECTED)
    )
    if since is not None:
        staff = staff.filter(pk__gt=since.pk)
    holds += [
        f"staff:{pk}" for pk in staff.order_by("pk").values_list("pk", flat=True) if pk not in ours
    ]
    return holds


def documents_kept_by_buyers(*, user, ids) -> set[int]:
    """Taken-down documents among ``ids`` that ``user`` bought, taken down by a notice or
    a complaint under the ``keep`` policy (the entitlement module's keep rule)."""
    if user is None or not user.is_authenticated:
        return set()
    bought = Purchase.objects.filter(
        buyer_id=user.pk,
        document_id__in=ids,
        status=Purchase.Status.PAID,
        document__status=Status.TAKEN_DOWN,
    ).values("document_id")
    by_notice = CopyrightNotice.objects.filter(
        document_id__in=bought, status=CopyrightNotice.Status.TAKEN_DOWN, buyers_policy="keep"
    ).values_list("document_id", flat=True)
    by_complaint = Complaint.objects.filter(
        document_id__in=bought, decision=Complaint.Decision.TAKE_DOWN, buyers_policy="keep"
    ).values_list("document_id", flat=True)
    return set(by_notice.union(by_complaint))  # one query: the purchases are a subquery


def hold_label(hold: str) -> str:
    """A hold of ``takedown_holds`` for people: 版权通知 #7, 投诉 #3, 站方决定 (记录 #1042)."""
    from django.utils.translation import gettext as _

    kind, _sep, pk = hold.partition(":")
    words = {
        "notice": _("copyright notice #%(id)s"),
        "complaint": _("complaint #%(id)s"),
        "staff": _("staff decision (status change #%(id)s)"),
    }
    return words[kind] % {"id": pk} if kind in words else hold
